import { beforeAll, describe, expect, it } from 'vitest'
import { LANES, usePlatform } from '../support/platform.ts'
import {
  type Caller,
  collectionEventCount,
  db,
  documentEvents,
  NO_RATE_LIMITS,
  newCollection,
  putCollection,
  user,
} from './helpers.ts'

// POST /db/v1/batch: one transaction, all or nothing, each write under its collection's rules.
describe.each(LANES)('batch writes (%s lane)', (lane) => {
  const t = usePlatform(lane, NO_RATE_LIMITS)
  let alice: Caller
  const posts = newCollection('posts')
  const logs = newCollection('logs')

  beforeAll(async () => {
    alice = await user(t, 'alice')
    const open = { read: true, create: 'auth != null', update: 'auth != null', delete: 'auth != null' }
    await putCollection(t, posts, {
      rules: open,
      schema: {
        type: 'object',
        required: ['title'],
        properties: { title: { type: 'string', maxLength: 20 } },
      },
    })
    await putCollection(t, logs, { rules: { ...open, delete: false } })
  })
  it('applies every write in order across collections, with one event each', async () => {
    await db(t, alice).put(posts, 'p-upd', { title: 'old', n: 1 })
    await db(t, alice).put(posts, 'p-del', { title: 'bye' })
    const res = await db(t, alice).batch([
      { op: 'create', collection: posts, id: 'p-new', data: { title: 'new' } },
      { op: 'create', collection: logs, data: { line: 'auto id' } },
      { op: 'set', collection: posts, id: 'p-set', data: { title: 'set' } },
      { op: 'update', collection: posts, id: 'p-upd', data: { n: 2 }, ifVersion: 1 },
      { op: 'delete', collection: posts, id: 'p-del' },
      { op: 'update', collection: posts, id: 'p-new', data: { extra: true } },
    ])
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    const results = res.body.results
    expect(results).toHaveLength(6)
    expect(results[0]).toMatchObject({ id: 'p-new', version: 1 })
    expect(results[1]).toMatchObject({ collection: logs, id: expect.any(String), version: 1 })
    expect(results[3]).toMatchObject({ data: { title: 'old', n: 2 }, version: 2 })
    expect(results[4]).toBeNull()
    expect(results[5]).toMatchObject({ data: { title: 'new', extra: true }, version: 2 })
    expect((await documentEvents(t, posts, 'p-new')).map((e) => e.type)).toEqual([
      'db.document.created',
      'db.document.updated',
    ])
    expect((await documentEvents(t, posts, 'p-del')).at(-1)!.type).toBe('db.document.deleted')
  })

  it.each([
    ['a rule refuses one write', { op: 'delete', collection: logs, id: 'l1' }, 403, 'auth/forbidden'],
    [
      'one write breaks the schema',
      { op: 'create', collection: posts, data: { title: 42 } },
      422,
      'db/validation-failed',
    ],
    [
      'one create hits an existing id',
      { op: 'create', collection: posts, id: 'exists', data: { title: 'x' } },
      409,
      'db/already-exists',
    ],
    [
      'one update misses',
      { op: 'update', collection: posts, id: 'missing', data: { title: 'x' } },
      404,
      'db/not-found',
    ],
    [
      'one version is stale',
      { op: 'update', collection: posts, id: 'exists', data: {}, ifVersion: 9 },
      412,
      'db/version-mismatch',
    ],
  ])('rolls everything back when %s (%i %s, index named, no events)', async (_name, bad, status, code) => {
    await db(t, alice).put(posts, 'exists', { title: 'here' })
    await db(t, alice).put(logs, 'l1', { line: 'keep' })
    const before = [await collectionEventCount(t, posts), await collectionEventCount(t, logs)]
    const id = `rb-${code.replace('/', '-')}`
    const res = await db(t, alice).batch([
      { op: 'create', collection: posts, id, data: { title: 'first' } },
      { op: 'update', collection: posts, id: 'exists', data: { touched: true } },
      bad,
      { op: 'create', collection: logs, data: { line: 'after' } },
    ])
    expect(res.status, JSON.stringify(res.body)).toBe(status)
    expect(res.body.error.code).toBe(code)
    expect(res.body.error.details).toMatchObject({ index: 2 })
    expect((await db(t, alice).get(posts, id)).status).toBe(404)
    expect((await db(t, alice).get(posts, 'exists')).body.data).toEqual({ title: 'here' })
    expect([await collectionEventCount(t, posts), await collectionEventCount(t, logs)]).toEqual(before)
  })

  it('accepts 500 writes and refuses 501 (400 request/invalid)', async () => {
    const c = newCollection('many')
    await putCollection(t, c, { rules: { create: true, read: true } })
    const writes = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ op: 'create', collection: c, id: `m${i}`, data: { i } }))
    const tooMany = await db(t, alice).batch(writes(501))
    expect(tooMany.status).toBe(400)
    expect(tooMany.body.error.code).toBe('request/invalid')
    const ok = await db(t, alice).batch(writes(500))
    expect(ok.status).toBe(200)
    expect(ok.body.results).toHaveLength(500)
    expect(await collectionEventCount(t, c)).toBe(500)
  })

  it.each([
    ['no writes', []],
    ['an unknown op', [{ op: 'upsert', collection: posts, id: 'x', data: {} }]],
    ['an update without an id', [{ op: 'update', collection: posts, data: {} }]],
    ['a bad collection name', [{ op: 'create', collection: 'a/b', data: {} }]],
  ])('refuses %s (400)', async (_name, writes) => {
    const res = await db(t, alice).batch(writes)
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('request/invalid')
  })

  it('a batch creating the same new document twice: one of two racing batches wins whole', async () => {
    const c = newCollection('race')
    await putCollection(t, c, { rules: { create: true, read: true, update: true } })
    const batch = (tag: string) =>
      db(t, alice).batch([
        { op: 'create', collection: c, id: 'shared', data: { tag } },
        { op: 'create', collection: c, id: `own-${tag}`, data: { tag } },
      ])
    const [a, b] = await Promise.all([batch('a'), batch('b')])
    expect([a.status, b.status].sort()).toEqual([200, 409])
    const winner = a.status === 200 ? 'a' : 'b'
    const loser = winner === 'a' ? 'b' : 'a'
    expect((await db(t, alice).get(c, 'shared')).body.data).toEqual({ tag: winner })
    expect((await db(t, alice).get(c, `own-${loser}`)).status).toBe(404)
  })
})
