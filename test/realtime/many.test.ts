import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LANES, startTestPlatform, type TestPlatform } from '../support/platform.ts'
import { RealtimeClient } from './client.ts'
import { newCollection, put } from './helpers.ts'

// One lane only (the last: real services when available): it is about the server's connection handling.
const lane = LANES.at(-1)!

describe(`1,000 concurrent connections (${lane})`, () => {
  let t: TestPlatform
  const clients: RealtimeClient[] = []
  beforeAll(async () => {
    t = await startTestPlatform(lane)
  })
  afterAll(async () => {
    for (const c of clients) c.close()
    await t?.close()
  })

  it('subscribes 1,000 connections and delivers one change to every one', { timeout: 60_000 }, async () => {
    const col = newCollection()
    for (let i = 0; i < 1000; i += 100) {
      clients.push(
        ...(await Promise.all(
          Array.from({ length: 100 }, () => RealtimeClient.connect(t.url, t.serviceKey)),
        )),
      )
    }
    const acks = await Promise.all(clients.map((c, i) => c.subscribe({ id: `s${i}`, collection: col })))
    expect(acks.every((f) => f.type === 'subscribed')).toBe(true)
    await put(t, col, 'hello', { to: 'everyone' })
    const got = await Promise.all(clients.map((c, i) => c.waitChanges(`s${i}`, 1, 20_000)))
    expect(got.every((changes) => changes[0]?.document.id === 'hello')).toBe(true)
    const text = await (await fetch(`${t.url}/metrics`)).text()
    expect(Number(/^stratus_websocket_connections (\d+)/m.exec(text)?.[1])).toBeGreaterThanOrEqual(1000)
  })
})
