import { beforeAll, describe, expect, it } from 'vitest'
import { LANES, usePlatform } from '../support/platform.ts'
import { type Caller, db, NO_RATE_LIMITS, newCollection, putCollection, service, user } from './helpers.ts'

// Queries through HTTP: every op, dotted paths, ordering across types, limits, cursors, bad input.
interface Doc {
  id: string
  data: Record<string, unknown>
}

describe.each(LANES)('queries (%s lane)', (lane) => {
  const t = usePlatform(lane, NO_RATE_LIMITS)
  let alice: Caller
  const col = newCollection('q')
  const ids = (res: { body: { documents: Doc[] } }) => res.body.documents.map((d) => d.id)

  beforeAll(async () => {
    alice = await user(t, 'alice')
    await putCollection(t, col, { rules: { read: 'auth != null', create: true } })
    const rows: [string, Record<string, unknown>][] = [
      ['a', { n: 1, s: 'apple', tags: ['red', 'fruit'], address: { city: 'Paris' }, 'dotted.key': 'x' }],
      ['b', { n: 2, s: 'banana', tags: ['yellow', 'fruit'], address: { city: 'Lyon' } }],
      ['c', { n: 3, s: 'cherry', tags: ['red'], address: { city: 'Paris', zip: '75001' } }],
      ['d', { n: 'three', s: null, tags: [] }],
      ['e', { n: 2.5, flag: true, tags: [['nested']] }],
      ['f', { s: 'Zebra', tags: 'red', 名前: 'ユニコード' }],
    ]
    const res = await db(t, service(t)).batch(
      rows.map(([id, data]) => ({ op: 'create', collection: col, id, data })),
    )
    expect(res.status).toBe(200)
  })
  it.each([
    [[['n', '==', 2]], ['b']],
    [[['n', '!=', 2]], ['a', 'c', 'd', 'e']],
    [[['n', '<', 2.5]], ['a', 'b']],
    [[['n', '<=', 2.5]], ['a', 'b', 'e']],
    [[['n', '>', 2]], ['c', 'e']],
    [[['n', '>=', 'a']], ['d']],
    [[['n', 'in', [1, 3, 'three']]], ['a', 'c', 'd']],
    [[['n', 'not-in', [1, 3]]], ['b', 'd', 'e']],
    [[['tags', 'array-contains', 'red']], ['a', 'c']],
    [[['tags', 'array-contains', ['nested']]], ['e']],
    [[['tags', 'array-contains-any', ['yellow', 'red']]], ['a', 'b', 'c']],
    [[['address.city', '==', 'Paris']], ['a', 'c']],
    [[['address.zip', '>', '7']], ['c']],
    [[['`dotted.key`', '==', 'x']], ['a']],
    [[['名前', '==', 'ユニコード']], ['f']],
    [[['s', '==', null]], ['d']],
    [[['flag', '==', true]], ['e']],
    [
      [
        ['tags', 'array-contains', 'fruit'],
        ['n', '>', 1],
      ],
      ['b'],
    ],
  ])('where %j → %j', async (where, expected) => {
    const res = await db(t, alice).list(col, { where, orderBy: [['$id', 'asc']] })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(ids(res)).toEqual(expected)
  })

  it('orders across types: missing < null < numbers < strings (by code point)', async () => {
    const asc = await db(t, alice).list(col, { orderBy: [['s', 'asc']] })
    expect(ids(asc)).toEqual(['e', 'd', 'f', 'a', 'b', 'c'])
    const desc = await db(t, alice).list(col, { orderBy: [['n', 'desc']] })
    expect(ids(desc)).toEqual(['d', 'c', 'e', 'b', 'a', 'f'])
  })

  it('defaults to creation order, then id', async () => {
    const res = await db(t, alice).list(col)
    expect(ids(res)).toEqual(['a', 'b', 'c', 'd', 'e', 'f'])
    // One batch, one creation time: the id breaks the tie (ascending, whatever the direction).
    const sameTime = await db(t, alice).list(col, { orderBy: [['$createdAt', 'desc']] })
    expect(ids(sameTime)).toEqual(['a', 'b', 'c', 'd', 'e', 'f'])
    const c = newCollection('time')
    await putCollection(t, c, { rules: { read: true, create: true } })
    const created: { id: string; createdAt: string }[] = []
    for (const id of ['z', 'y', 'x', 'w']) created.push((await db(t, alice).create(c, { id, data: {} })).body)
    // Two creates may share a millisecond: then the id decides.
    const order = (dir: 1 | -1) =>
      [...created]
        .sort((a, b) =>
          a.createdAt < b.createdAt ? -dir : a.createdAt > b.createdAt ? dir : a.id < b.id ? -1 : 1,
        )
        .map((d) => d.id)
    expect(ids(await db(t, alice).list(c))).toEqual(order(1))
    expect(ids(await db(t, alice).list(c, { orderBy: [['$createdAt', 'desc']] }))).toEqual(order(-1))
  })

  it('pages with limit and cursor', async () => {
    const first = await db(t, alice).list(col, { limit: 4, orderBy: [['$id', 'desc']] })
    expect(ids(first)).toEqual(['f', 'e', 'd', 'c'])
    expect(first.body.nextCursor).toEqual(expect.any(String))
    const second = await db(t, alice).list(col, {
      limit: 4,
      orderBy: [['$id', 'desc']],
      cursor: first.body.nextCursor,
    })
    expect(ids(second)).toEqual(['b', 'a'])
    expect(second.body.nextCursor).toBeNull()
  })

  it.each([
    ['where that is not JSON', { where: undefined, raw: 'where=[oops' }],
    ['where that is not an array', { where: { n: 1 } }],
    ['an unknown op', { where: [['n', 'like', 1]] }],
    ['in without an array', { where: [['n', 'in', 1]] }],
    ['a bad field path', { where: [['a..b', '==', 1]] }],
    ['a bad direction', { orderBy: [['n', 'up']] }],
    ['orderBy that is not JSON', { raw: 'orderBy={' }],
    ['limit 0', { limit: 0 }],
    ['limit 1001', { limit: 1001 }],
    ['limit not a number', { limit: 'ten' }],
    ['a cursor not issued by us', { cursor: 'bm90LWEtY3Vyc29y' }],
  ])('refuses %s with 400 db/invalid-query', async (_name, query) => {
    const { raw, ...rest } = query as { raw?: string }
    const res = raw
      ? await (await import('supertest'))
          .default(t.url)
          .get(`/db/v1/collections/${col}/documents?${raw}`)
          .set(alice.headers)
      : await db(t, alice).list(col, rest)
    expect(res.status, JSON.stringify(res.body)).toBe(400)
    expect(res.body.error.code).toBe('db/invalid-query')
  })

  it('refuses a cursor from a query with another orderBy', async () => {
    const page = await db(t, alice).list(col, { limit: 1, orderBy: [['n', 'asc']] })
    const res = await db(t, alice).list(col, { orderBy: [['s', 'asc']], cursor: page.body.nextCursor })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('db/invalid-query')
  })

  it.each([
    ['ordered by a field', [['rank', 'asc']]],
    ['in the default order', undefined],
    [
      'in mixed directions',
      [
        ['group', 'desc'],
        ['rank', 'asc'],
      ],
    ],
  ])('keyset pagination %s is stable under concurrent inserts', async (_name, orderBy) => {
    const c = newCollection('page')
    await putCollection(t, c, { rules: { read: true, create: true } })
    const s = db(t, service(t))
    const seeded = Array.from({ length: 120 }, (_, i) => ({
      op: 'create',
      collection: c,
      id: `seed${String(i).padStart(3, '0')}`,
      data: { rank: (i * 37) % 120, group: i % 3 },
    }))
    expect((await s.batch(seeded)).status).toBe(200)

    const seen: Doc[] = []
    let cursor: string | undefined
    let inserted = 0
    for (let page = 0; page < 100; page++) {
      // Writers insert documents that sort before, among and after the pages already read.
      const writers = Array.from({ length: 3 }, () => {
        const i = inserted++
        return s.create(c, {
          id: `new${String(i).padStart(3, '0')}`,
          data: { rank: ((i * 53) % 140) - 10, group: i % 3 },
        })
      })
      const [res] = await Promise.all([
        db(t, alice).list(c, { limit: 13, ...(orderBy ? { orderBy } : {}), ...(cursor ? { cursor } : {}) }),
        ...writers,
      ])
      expect(res.status).toBe(200)
      seen.push(...res.body.documents)
      cursor = res.body.nextCursor ?? undefined
      if (!cursor) break
    }
    const seenIds = seen.map((d) => d.id)
    expect(new Set(seenIds).size).toBe(seenIds.length)
    for (const doc of seeded) expect(seenIds).toContain(doc.id)
    if (orderBy) {
      const keyOf = (d: Doc) =>
        orderBy.length === 2 ? [-(d.data.group as number), d.data.rank as number] : [d.data.rank as number]
      for (let i = 1; i < seen.length; i++) {
        const [a, b] = [keyOf(seen[i - 1]!), keyOf(seen[i]!)]
        const cmp = a[0]! - b[0]! || (a[1] ?? 0) - (b[1] ?? 0)
        expect(cmp <= 0, `${JSON.stringify(seen[i - 1])} then ${JSON.stringify(seen[i])}`).toBe(true)
      }
    }
  })
})
