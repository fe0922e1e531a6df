import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LANES, startTestPlatform, type TestPlatform } from '../support/platform.ts'
import { expectError, RealtimeClient } from './client.ts'
import { api, newCollection, put, remove, setRules, userToken } from './helpers.ts'

describe.each(LANES)('realtime (%s)', (lane) => {
  let t: TestPlatform
  const clients: RealtimeClient[] = []
  const connect = async (token?: string) => {
    const client = await RealtimeClient.connect(t.url, token)
    clients.push(client)
    return client
  }

  beforeAll(async () => {
    t = await startTestPlatform(lane, { REALTIME_MAX_REPLAY: '50' })
  })
  afterAll(async () => {
    for (const c of clients) c.close()
    await t?.close()
  })

  it('subscribes, then streams created, updated and deleted changes in order', async () => {
    const col = newCollection()
    const c = await connect(t.serviceKey)
    const subscribed = await c.subscribe({ id: 's1', collection: col })
    expect(subscribed).toMatchObject({ type: 'subscribed', id: 's1', sequence: expect.any(Number) })
    await put(t, col, 'a', { n: 1 })
    await put(t, col, 'a', { n: 2 })
    await remove(t, col, 'a')
    const [created, updated, deleted] = await c.waitChanges('s1', 3)
    expect(created).toMatchObject({
      event: 'created',
      document: { id: 'a', collection: col, data: { n: 1 }, version: 1 },
    })
    expect(created).not.toHaveProperty('previous')
    expect(updated).toMatchObject({
      event: 'updated',
      document: { data: { n: 2 }, version: 2 },
      previous: { data: { n: 1 } },
    })
    expect(deleted).toMatchObject({ event: 'deleted', document: { id: 'a', data: { n: 2 } } })
    expect(created!.sequence).toBeGreaterThan(subscribed.sequence)
    expect(updated!.sequence).toBeGreaterThan(created!.sequence)
    expect(deleted!.sequence).toBeGreaterThan(updated!.sequence)
    // Unsubscribed: nothing more.
    c.send({ type: 'unsubscribe', id: 's1' })
    await c.roundTrip()
    await put(t, col, 'b', { n: 1 })
    const probe = await c.subscribe({ id: 's2', collection: col })
    await put(t, col, 'c', { n: 1 })
    await c.waitChanges('s2', 1)
    expect(c.changes('s1')).toHaveLength(3)
    expect(probe.type).toBe('subscribed')
  })

  it('answers ping with pong', async () => {
    const c = await connect()
    await c.roundTrip()
  })

  it('filters by where and docId, and sends matches:false once when a document leaves the query', async () => {
    const col = newCollection()
    const c = await connect(t.serviceKey)
    await c.subscribe({ id: 'open', collection: col, where: [['status', '==', 'open']] })
    await c.subscribe({ id: 'one', collection: col, docId: 'b' })
    await put(t, col, 'a', { status: 'open' })
    await put(t, col, 'b', { status: 'closed' })
    await put(t, col, 'a', { status: 'closed' }) // leaves
    await put(t, col, 'a', { status: 'closed', x: 1 }) // still out: nothing
    await put(t, col, 'b', { status: 'open' }) // enters
    await put(t, col, 'end', { status: 'open' })
    const open = await c.waitChanges('open', 4)
    expect(open.map((f) => [f.event, f.document.id, f.matches])).toEqual([
      ['created', 'a', undefined],
      ['updated', 'a', false],
      ['updated', 'b', undefined],
      ['created', 'end', undefined],
    ])
    expect(open[1]).toMatchObject({
      document: { data: { status: 'closed' } },
      previous: { data: { status: 'open' } },
    })
    const one = await c.waitChanges('one', 2)
    expect(one.map((f) => [f.event, f.document.id])).toEqual([
      ['created', 'b'],
      ['updated', 'b'],
    ])
  })

  it('sends only what the read rule allows, and refuses a subscription the rule can never allow', async () => {
    const col = newCollection()
    await setRules(t, col, { read: 'auth != null && doc.owner == auth.uid' })
    const alice = await connect(await userToken(t, 'alice'))
    const bob = await connect(await userToken(t, 'bob'))
    const anon = await connect()
    expect(await alice.subscribe({ id: 's', collection: col })).toMatchObject({ type: 'subscribed' })
    expect(await bob.subscribe({ id: 's', collection: col })).toMatchObject({ type: 'subscribed' })
    expectError(await anon.subscribe({ id: 's', collection: col }), 'auth/forbidden')
    await put(t, col, 'a1', { owner: 'alice' })
    await put(t, col, 'b1', { owner: 'bob' })
    await put(t, col, 'a1', { owner: 'bob' }) // alice loses it: matches:false, without its data
    await put(t, col, 'a2', { owner: 'alice' })
    const a = await alice.waitChanges('s', 3)
    expect(a.map((f) => [f.event, f.document.id, f.matches])).toEqual([
      ['created', 'a1', undefined],
      ['updated', 'a1', false],
      ['created', 'a2', undefined],
    ])
    expect(a[1]!.document).not.toHaveProperty('data')
    const b = await bob.waitChanges('s', 2)
    expect(b.map((f) => [f.event, f.document.id])).toEqual([
      ['created', 'b1'],
      ['updated', 'a1'],
    ])
    expect(b[1]).not.toHaveProperty('previous') // bob could not read the version before
    // No rules at all: only the service key.
    const bare = newCollection()
    expectError(await alice.subscribe({ id: 'bare', collection: bare }), 'auth/forbidden')
    const service = await connect(t.serviceKey)
    expect(await service.subscribe({ id: 'bare', collection: bare })).toMatchObject({ type: 'subscribed' })
  })

  it('resumes with since: replays the missed changes in order, then goes live, no gap and no duplicate', async () => {
    const col = newCollection()
    const first = await connect(t.serviceKey)
    await first.subscribe({ id: 's', collection: col })
    await put(t, col, 'd0', { i: 0 })
    const [seen] = await first.waitChanges('s', 1)
    first.close()
    // A second subscriber, connected while `first` is gone: once it has the four missed changes, so has
    // this node's feed, and the replay below must include them (a write's answer comes before the relay
    // publishes its change).
    const watcher = await connect(t.serviceKey)
    await watcher.subscribe({ id: 'w', collection: col })
    for (let i = 1; i <= 4; i++) await put(t, col, `d${i}`, { i })
    await watcher.waitChanges('w', 4)
    watcher.close()

    const again = await connect(t.serviceKey)
    // Keep writing while the replay runs.
    let writing = true
    let written = 5
    const writer = (async () => {
      while (writing && written < 25) await put(t, col, `d${written++}`, { i: written })
    })()
    again.send({ type: 'subscribe', id: 'r', collection: col, since: seen!.sequence })
    const subscribed = await again.next((f) => f.type === 'subscribed')
    const at = again.frames.indexOf(subscribed)
    const replayedBefore = again.frames.slice(0, at).filter((f) => f.type === 'change').length
    expect(replayedBefore).toBeGreaterThanOrEqual(4)
    writing = false
    await writer
    const all = await again.waitChanges('r', written - 1)
    const ids = all.map((f) => f.document.id)
    expect(ids).toEqual(Array.from({ length: written - 1 }, (_, i) => `d${i + 1}`))
    const sequences = all.map((f) => f.sequence)
    expect([...sequences].sort((x, y) => x - y)).toEqual(sequences)
    expect(new Set(sequences).size).toBe(sequences.length)
    expect(subscribed.sequence).toBeGreaterThanOrEqual(all[replayedBefore - 1]!.sequence)
    await again.roundTrip()
    expect(again.changes('r')).toHaveLength(written - 1)
  })

  it('refuses a replay beyond REALTIME_MAX_REPLAY, and a since in the future', async () => {
    const col = newCollection()
    const c = await connect(t.serviceKey)
    const { sequence } = await c.subscribe({ id: 'now', collection: col })
    const writes = Array.from({ length: 60 }, (_, i) => ({
      op: 'set',
      collection: col,
      id: `x${i}`,
      data: { i },
    }))
    const res = await api(t, 'POST', '/db/v1/batch', { writes })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    await c.waitChanges('now', 60)
    expectError(
      await c.subscribe({ id: 'old', collection: col, since: sequence }),
      'realtime/replay-too-large',
    )
    expectError(
      await c.subscribe({ id: 'future', collection: col, since: sequence + 1_000_000 }),
      'request/invalid',
    )
    // A replay within the window works.
    const last = c.changes('now').at(-1)!.sequence
    expect(await c.subscribe({ id: 'recent', collection: col, since: last - 10 })).toMatchObject({
      type: 'subscribed',
    })
    expect(c.changes('recent').map((f) => f.document.id)).toEqual(
      Array.from({ length: 10 }, (_, i) => `x${50 + i}`),
    )
  })

  it('answers malformed frames with error frames and stays up', async () => {
    const c = await connect()
    const cases: [unknown, string][] = [
      ['not json', 'request/invalid'],
      ['[1,2]', 'request/invalid'],
      ['null', 'request/invalid'],
      [{ type: 'dance' }, 'request/invalid'],
      [{ type: 'subscribe', collection: 'x' }, 'request/invalid'],
      [{ type: 'subscribe', id: 'q', collection: 'bad name!' }, 'request/invalid'],
      [{ type: 'subscribe', id: 'q', collection: 'x', where: [['a', 'like', 1]] }, 'db/invalid-query'],
      [{ type: 'subscribe', id: 'q', collection: 'x', where: 'nope' }, 'db/invalid-query'],
      [{ type: 'subscribe', id: 'q', collection: 'x', since: -1 }, 'request/invalid'],
      [{ type: 'subscribe', id: 'q', collection: 'x', docId: 7 }, 'request/invalid'],
      [{ type: 'unsubscribe' }, 'request/invalid'],
      [{ type: 'auth' }, 'request/invalid'],
    ]
    for (const [frame, code] of cases) {
      const from = c.frames.length
      c.send(frame)
      expectError(await c.next((f) => f.type === 'error', 5000, from), code)
    }
    const binaryFrom = c.frames.length
    c.ws.send(Buffer.from([0xff, 0x00, 0x13]))
    expectError(await c.next((f) => f.type === 'error', 5000, binaryFrom), 'request/invalid')
    await c.roundTrip()
    // Unsubscribing an unknown id is a no-op; a duplicate id is refused.
    c.send({ type: 'unsubscribe', id: 'nobody' })
    const svc = await connect(t.serviceKey)
    const col = newCollection()
    await svc.subscribe({ id: 'dup', collection: col })
    expectError(await svc.subscribe({ id: 'dup', collection: col }), 'request/invalid')
    // A frame over the size limit closes that connection (1009); the server carries on.
    const big = await connect()
    big.send({ type: 'ping', pad: 'x'.repeat(100_000) })
    expect((await big.closed).code).toBe(1009)
    await c.roundTrip()
  })

  it('authenticates by token, refreshes with an auth frame, and closes on a bad or expired token', async () => {
    const col = newCollection()
    await setRules(t, col, { read: 'auth != null' })
    // Anonymous, then an auth frame: the next subscription sees the user.
    const c = await connect()
    expectError(await c.subscribe({ id: 'before', collection: col }), 'auth/forbidden')
    c.send({ type: 'auth', access_token: await userToken(t, 'carol') })
    expect(await c.subscribe({ id: 'after', collection: col })).toMatchObject({ type: 'subscribed' })

    // A garbage token: error frame, then close 4001.
    const bad = await RealtimeClient.connect(t.url, 'not-a-token')
    expectError(await bad.next((f) => f.type === 'error'), 'auth/unauthenticated')
    expect((await bad.closed).code).toBe(4001)

    // Two connections on a short token; one refreshes: only the other is closed at expiry. A JWT's
    // exp counts whole seconds, so a 1-second token may have only milliseconds left: 3 seconds leaves
    // room to connect and refresh on a loaded machine.
    const long = await userToken(t, 'dave', 3600)
    const short = await userToken(t, 'dave', 3)
    const stale = await connect(short)
    const fresh = await connect(short)
    fresh.send({ type: 'auth', access_token: long })
    await fresh.roundTrip()
    expectError(await stale.next((f) => f.type === 'error', 10_000), 'auth/token-expired')
    expect((await stale.closed).code).toBe(4001)
    await fresh.roundTrip()

    // An already expired token at connect.
    const expired = await t.platform.keys.sign(
      { sub: 'erin', role: 'authenticated' },
      1,
      Math.floor(Date.now() / 1000) - 60,
    )
    const late = await RealtimeClient.connect(t.url, expired)
    expectError(await late.next((f) => f.type === 'error'), 'auth/token-expired')
    expect((await late.closed).code).toBe(4001)
  })

  it('counts connections in /metrics', async () => {
    await connect()
    const text = await (await fetch(`${t.url}/metrics`)).text()
    const count = Number(/^stratus_websocket_connections (\d+)/m.exec(text)?.[1])
    expect(count).toBeGreaterThan(0)
  })
})
