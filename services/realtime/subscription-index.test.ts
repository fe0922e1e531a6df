import { describe, expect, it } from 'vitest'
import type { StratusEvent } from '../core/events.ts'
import { parseWhere } from '../documents/query/query.ts'
import { DocumentChange, Subscription, viewerOf } from './subscription.ts'
import { CollectionSubscribers } from './subscription-index.ts'

const SERVICE = viewerOf({ uid: null, role: 'service', claims: {} } as never)

function change(
  sequence: number,
  type: 'created' | 'updated' | 'deleted',
  id: string,
  now: unknown,
  before: unknown,
): DocumentChange {
  const doc = (data: unknown) => ({
    id,
    collection: 'c',
    data,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  })
  const event: StratusEvent = {
    specversion: '1.0',
    id: `e${sequence}`,
    source: 'test',
    type: `db.document.${type}`,
    subject: `collections/c/documents/${id}`,
    time: new Date(0).toISOString(),
    datacontenttype: 'application/json',
    data: {
      ...(type !== 'deleted' ? { document: doc(now) } : {}),
      ...(type !== 'created' ? { previous: doc(before) } : {}),
    },
    sequence,
  }
  return DocumentChange.from(event)!
}

const subscription = (id: string, where: unknown[], docId?: string) =>
  new Subscription({ id, collection: 'c', where: parseWhere(where), docId, cursor: 0 })

/** Ids of the subscriptions that get a frame for `c`, by testing every one. */
function framed(all: Subscription[], c: DocumentChange): string[] {
  return all.filter((s) => s.frameFor(c, SERVICE, null) !== undefined).map((s) => s.id)
}

describe('CollectionSubscribers', () => {
  const all = [
    subscription('room-a', [['room', '==', 'a']]),
    subscription('room-b', [['room', '==', 'b']]),
    subscription('room-1', [['room', '==', 1]]),
    subscription('room-1.0', [['room', '==', 1.0]]),
    subscription('room-null', [['room', '==', null]]),
    subscription('nested', [['meta.kind', '==', 'x']]),
    subscription('room-a-big', [
      ['n', '>', 5],
      ['room', '==', 'a'],
    ]),
    subscription('big', [['n', '>', 5]]),
    subscription('everything', []),
    subscription('doc-1', [], 'd1'),
    subscription('doc-1-room-b', [['room', '==', 'b']], 'd1'),
  ]
  const index = new CollectionSubscribers<string>()
  for (const s of all) index.add(s, s.id)

  const changes = [
    change(1, 'created', 'd1', { room: 'a', n: 9 }, null),
    change(2, 'created', 'd2', { room: 1 }, null),
    change(3, 'created', 'd3', { room: null, meta: { kind: 'x' } }, null),
    change(4, 'created', 'd4', { other: true }, null),
    change(5, 'updated', 'd1', { room: 'b', n: 9 }, { room: 'a', n: 9 }),
    change(6, 'updated', 'd2', { room: 'a' }, { room: 'a' }),
    change(7, 'deleted', 'd1', null, { room: 'b' }),
    change(8, 'updated', 'd5', { room: ['a'] }, { meta: { kind: 'x' } }),
  ]

  it('offers every subscription that gets a frame, each once, and skips the ones that cannot', () => {
    for (const c of changes) {
      const offered = [...index.candidates(c)].map(([s, value]) => {
        expect(value).toBe(s.id)
        return s.id
      })
      expect(new Set(offered).size, `change ${c.sequence} offered a subscription twice`).toBe(offered.length)
      for (const id of framed(all, c)) expect(offered, `change ${c.sequence}`).toContain(id)
    }
    // A room-a create is not tested against room-b's, nested or doc-1-room-b's subscriptions.
    const offered = [...index.candidates(changes[0]!)].map(([s]) => s.id).sort()
    expect(offered).toEqual(['big', 'doc-1', 'doc-1-room-b', 'everything', 'room-a', 'room-a-big'].sort())
  })

  it('hears of a document leaving a query under its old value', () => {
    const offered = [...index.candidates(changes[4]!)].map(([s]) => s.id)
    expect(offered).toContain('room-a')
    expect(offered).toContain('room-b')
    expect(framed(all, changes[4]!)).toContain('room-a')
  })

  it('forgets removed subscriptions and their emptied buckets', () => {
    const local = new CollectionSubscribers<number>()
    const a = subscription('a', [['room', '==', 'a']])
    const d = subscription('d', [], 'd1')
    const e = subscription('e', [])
    local.add(a, 1)
    local.add(d, 2)
    local.add(e, 3)
    expect(local.size).toBe(3)
    local.delete(a)
    local.delete(d)
    local.delete(a)
    expect(local.size).toBe(1)
    expect([...local.candidates(changes[0]!)].map(([s]) => s.id)).toEqual(['e'])
    local.add(a, 4)
    expect([...local.candidates(changes[0]!)]).toEqual([
      [e, 3],
      [a, 4],
    ])
  })
})
