import { describe, expect, it } from 'vitest'
import { eventually } from '../support/lanes.ts'
import { LANES, type TestPlatform, usePlatform } from '../support/platform.ts'
import { RealtimeClient } from './client.ts'
import { newCollection, put } from './helpers.ts'

async function connections(t: TestPlatform): Promise<number> {
  const text = await (await fetch(`${t.url}/metrics`)).text()
  return Number(/^stratus_websocket_connections (\d+)/m.exec(text)?.[1])
}

describe.each(LANES)('realtime connection health (%s)', (lane) => {
  const t = usePlatform(lane, { REALTIME_MAX_BUFFER_BYTES: '1048576', REALTIME_HEARTBEAT_MS: '300' })
  it('closes a slow consumer (4008) without holding up the others', async () => {
    const col = newCollection()
    const slow = await RealtimeClient.connect(t.url, t.serviceKey)
    const fast = await RealtimeClient.connect(t.url, t.serviceKey)
    await slow.subscribe({ id: 's', collection: col })
    await fast.subscribe({ id: 's', collection: col })
    const before = await connections(t)
    // The slow client stops reading; pongs stop too, but heartbeats are slower to act than the buffer.
    slow.ws.pause()
    // 12 MB: past the loopback socket buffers and the 1 MiB bound; the fast client keeps up.
    const blob = 'x'.repeat(100_000)
    const count = 120
    for (let i = 0; i < count; i += 6) {
      await Promise.all(Array.from({ length: 6 }, (_, k) => put(t, col, `d${i + k}`, { blob })))
    }
    await fast.waitChanges('s', count, 30_000)
    await eventually(
      async () => (await connections(t)) <= before - 1,
      10_000,
      'the slow consumer to be dropped',
    )
    slow.ws.resume()
    const { code } = await slow.closed
    // 4008 when the close frame got through; 1006 when the server had to cut the socket.
    expect([4008, 1006]).toContain(code)
    fast.close()
  })

  it('reaps a connection that stops answering pings', async () => {
    const mute = await RealtimeClient.connect(t.url, undefined, { autoPong: false })
    const live = await RealtimeClient.connect(t.url)
    const { code } = await mute.closed
    expect(code).toBe(1006)
    await live.roundTrip()
    live.close()
  })
})
