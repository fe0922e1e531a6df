import type { Document, QuerySnapshot, StratusError } from '@stratus/sdk'
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { eventually } from '../support/lanes.ts'
import { LANES, usePlatform } from '../support/platform.ts'
import {
  admin,
  client,
  countingFetch,
  openCollection,
  SDK_TEST_ENV,
  trackedWebSocket,
  unique,
} from './helpers.ts'

interface Item {
  n: number
  kind?: string
}

describe.each(LANES)('SDK listeners (%s)', (lane) => {
  const t = usePlatform(lane, SDK_TEST_ENV)

  it('follows one document: null, created, updated, deleted', async () => {
    const app = client(t)
    const ref = app.db.collection<Item>(await openCollection(t)).doc('d1')
    const seen: (Document<Item> | null)[] = []
    const stop = ref.onSnapshot((doc) => seen.push(doc))
    await eventually(() => seen.length === 1)
    expect(seen[0]).toBeNull()

    await ref.set({ n: 1 })
    await ref.update({ n: 2 })
    await ref.delete()
    await eventually(() => seen.length === 4, 10_000, 'four snapshots')
    expect(seen.map((doc) => doc?.data.n ?? null)).toEqual([null, 1, 2, null])
    stop()
    app.close()
  })

  it('follows a where query: the initial result, then documents entering, changing and leaving', async () => {
    const app = client(t)
    const items = app.db.collection<Item>(await openCollection(t))
    await items.doc('a').set({ n: 1, kind: 'keep' })
    await items.doc('b').set({ n: 2, kind: 'skip' })

    const snapshots: QuerySnapshot<Item>[] = []
    const stop = items.where('kind', '==', 'keep').onSnapshot((s) => snapshots.push(s))
    await eventually(() => snapshots.length === 1)
    expect(snapshots[0]!.docs.map((d) => d.id)).toEqual(['a'])
    expect(snapshots[0]!.changes.map((c) => c.type)).toEqual(['added'])

    await items.doc('c').set({ n: 3, kind: 'keep' })
    await items.doc('a').update({ n: 10 })
    await items.doc('b').update({ n: 20 })
    await items.doc('a').update({ kind: 'skip' })
    await eventually(() => snapshots.length === 4, 10_000, 'four snapshots')
    expect(snapshots.map((s) => s.changes.map((c) => `${c.type}:${c.doc.id}`))).toEqual([
      ['added:a'],
      ['added:c'],
      ['modified:a'],
      ['removed:a'],
    ])
    expect(snapshots[3]!.docs.map((d) => d.id)).toEqual(['c'])
    stop()
    app.close()
  })

  it('re-reads an ordered, limited query when something changes', async () => {
    const app = client(t)
    const items = app.db.collection<Item>(await openCollection(t))
    for (const n of [1, 5, 3]) await items.add({ n })
    const snapshots: QuerySnapshot<Item>[] = []
    const stop = items
      .orderBy('n', 'desc')
      .limit(2)
      .onSnapshot((s) => snapshots.push(s))
    await eventually(() => snapshots.length === 1)
    expect(snapshots[0]!.docs.map((d) => d.data.n)).toEqual([5, 3])

    await items.add({ n: 4 })
    await eventually(
      () =>
        snapshots
          .at(-1)!
          .docs.map((d) => d.data.n)
          .join() === '5,4',
      10_000,
      'the new window',
    )
    const last = snapshots.at(-1)!
    expect(last.changes.map((c) => `${c.type}:${c.doc.data.n}`).sort()).toEqual(['added:4', 'removed:3'])
    stop()
    app.close()
  })

  it('reports a subscription the rules refuse through the error callback', async () => {
    const name = unique('closed')
    await admin(t, 'PUT', `/admin/v1/collections/${name}`, {
      rules: { read: 'auth != null', create: 'true', update: 'true', delete: 'true' },
    })
    const app = client(t)
    const error = await new Promise<StratusError>((resolve) => {
      app.db.collection(name).onSnapshot(
        () => undefined,
        (e) => resolve(e),
      )
    })
    expect(error.code).toBe('auth/forbidden')
    app.close()
  })

  it('loses and repeats no change when the connection is cut mid-stream', async () => {
    const tracked = trackedWebSocket()
    const counting = countingFetch()
    const reader = client(t, { WebSocket: tracked.WebSocket, fetch: counting.fetch })
    const writer = client(t)
    const name = await openCollection(t)
    const items = writer.db.collection<Item>(name)

    const seen = new Map<string, string[]>()
    let latest: QuerySnapshot<Item> | undefined
    const stop = reader.db.collection<Item>(name).onSnapshot((snapshot) => {
      latest = snapshot
      for (const change of snapshot.changes) {
        seen.set(change.doc.id, [...(seen.get(change.doc.id) ?? []), `${change.type}@${change.doc.version}`])
      }
    })
    await eventually(() => latest !== undefined)

    const TOTAL = 120
    let cuts = 0
    for (let i = 0; i < TOTAL; i++) {
      await items.doc(`d${i}`).set({ n: i })
      if (i % 10 === 5) await items.doc(`d${i - 5}`).update({ n: -i })
      if (i % 30 === 15) {
        // Cut the socket of the previous reconnect, not one already dead (its backoff may outlast 30 writes).
        await eventually(
          () => tracked.sockets.length === cuts + 1 && tracked.sockets.at(-1)!.readyState === WebSocket.OPEN,
          10_000,
          'the listener to be connected',
        )
        // As a network failure would: no close handshake, the SDK sees the socket die.
        tracked.sockets.at(-1)!.terminate()
        cuts += 1
      }
    }
    await eventually(() => latest?.docs.length === TOTAL, 20_000, `all ${TOTAL} documents`)
    await eventually(
      () => [...seen.values()].filter((c) => c.length === 2).length === 12,
      10_000,
      'the updates',
    )
    expect(tracked.sockets.length).toBe(cuts + 1)
    for (let i = 0; i < TOTAL; i++) {
      const expected = i % 10 === 0 && i + 5 < TOTAL ? ['added@1', 'modified@2'] : ['added@1']
      expect(seen.get(`d${i}`), `changes of d${i}`).toEqual(expected)
    }
    // Resumed with `since`, never reloaded from scratch.
    expect(counting.count('GET', `/collections/${name}/documents`)).toBe(1)
    stop()
    reader.close()
    writer.close()
  })
})
