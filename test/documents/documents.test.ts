import { beforeAll, describe, expect, it } from 'vitest'
import { LANES, usePlatform } from '../support/platform.ts'
import {
  type Caller,
  db,
  documentEvents,
  NO_RATE_LIMITS,
  newCollection,
  putCollection,
  service,
  user,
} from './helpers.ts'

// Single-document writes and reads: shapes, versions, ETags, events (with `previous`), If-Match.
describe.each(LANES)('documents (%s lane)', (lane) => {
  const t = usePlatform(lane, NO_RATE_LIMITS)
  let alice: Caller
  const col = newCollection('docs')
  beforeAll(async () => {
    alice = await user(t, 'alice')
    await putCollection(t, col, {
      rules: { read: true, create: 'auth != null', update: 'auth != null', delete: 'auth != null' },
    })
  })
  it('creates a document with a new id (201, version 1, ETag, db.document.created)', async () => {
    const res = await db(t, alice).create(col, { data: { title: 'hello', n: 1 } })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[A-Za-z0-9_-]{20}$/),
      collection: col,
      data: { title: 'hello', n: 1 },
      version: 1,
      createdAt: expect.any(String),
      updatedAt: res.body.createdAt,
    })
    expect(res.headers.etag).toBe('"1"')
    const events = await documentEvents(t, col, res.body.id)
    expect(events).toEqual([{ type: 'db.document.created', data: { document: res.body } }])
    const got = await db(t, alice).get(col, res.body.id)
    expect(got.status).toBe(200)
    expect(got.body).toEqual(res.body)
  })

  it("gives each write's event the document as the API answered it, to the millisecond", async () => {
    // A create's and an update's event document is built by the database from the written row: its
    // timestamps must read exactly as the API's (milliseconds truncated, as JavaScript dates hold
    // them), whatever the microseconds were; 25 rounds make a rounding mismatch all but certain to show.
    const data = { title: 'ünïcode ✓', nested: { list: [1, 2.5, null, { deep: true }] }, big: 2 ** 53 - 1 }
    for (let i = 0; i < 25; i++) {
      const created = await db(t, alice).create(col, { data })
      expect(created.status, JSON.stringify(created.body)).toBe(201)
      const id = created.body.id
      const patched = await db(t, alice).patch(col, id, { round: i })
      expect(patched.status, JSON.stringify(patched.body)).toBe(200)
      const set = await db(t, alice).put(col, `${id}-set`, data)
      expect(set.status, JSON.stringify(set.body)).toBe(201)
      expect(await documentEvents(t, col, id)).toEqual([
        { type: 'db.document.created', data: { document: created.body } },
        { type: 'db.document.updated', data: { document: patched.body, previous: created.body } },
      ])
      expect(await documentEvents(t, col, `${id}-set`)).toEqual([
        { type: 'db.document.created', data: { document: set.body } },
      ])
    }
  })

  it('creates with a chosen id, and refuses it a second time (409 db/already-exists, no event)', async () => {
    const first = await db(t, alice).create(col, { id: 'chosen-1', data: { a: 1 } })
    expect(first.status).toBe(201)
    const again = await db(t, alice).create(col, { id: 'chosen-1', data: { a: 2 } })
    expect(again.status).toBe(409)
    expect(again.body.error.code).toBe('db/already-exists')
    expect((await documentEvents(t, col, 'chosen-1')).map((e) => e.type)).toEqual(['db.document.created'])
  })

  it('PUT creates (201) then replaces (200, version 2, db.document.updated with previous)', async () => {
    const created = await db(t, alice).put(col, 'put-1', { a: 1, b: 2 })
    expect(created.status).toBe(201)
    expect(created.body.version).toBe(1)
    const replaced = await db(t, alice).put(col, 'put-1', { c: 3 })
    expect(replaced.status).toBe(200)
    expect(replaced.body).toMatchObject({
      id: 'put-1',
      data: { c: 3 },
      version: 2,
      createdAt: created.body.createdAt,
    })
    const events = await documentEvents(t, col, 'put-1')
    expect(events.map((e) => e.type)).toEqual(['db.document.created', 'db.document.updated'])
    expect(events[1]!.data).toEqual({ document: replaced.body, previous: created.body })
  })

  it("PUT answers the same whichever path the collection's recent sets favour", async () => {
    // A collection whose sets mostly create tries a one-statement create first; one whose sets mostly
    // replace locks and reads first. Each switch is crossed here, with a create and a replace on each side.
    const c = newCollection('setpath')
    await putCollection(t, c, { rules: { read: true, create: 'auth != null', update: 'auth != null' } })
    const expectCreated = async (id: string) => {
      const res = await db(t, alice).put(c, id, { id })
      expect(res.status, JSON.stringify(res.body)).toBe(201)
      expect(await documentEvents(t, c, id)).toEqual([
        { type: 'db.document.created', data: { document: res.body } },
      ])
    }
    const expectReplaced = async (id: string) => {
      const before = (await db(t, alice).get(c, id)).body
      const res = await db(t, alice).put(c, id, { id, again: true })
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      expect(res.body.version).toBe(before.version + 1)
      expect((await documentEvents(t, c, id)).at(-1)).toEqual({
        type: 'db.document.updated',
        data: { document: res.body, previous: before },
      })
    }
    for (let i = 0; i < 3; i++) await expectCreated(`a${i}`)
    for (let round = 0; round < 3; round++) for (let i = 0; i < 3; i++) await expectReplaced(`a${i}`)
    await expectCreated('b0')
    for (let i = 1; i < 12; i++) await expectCreated(`b${i}`)
    await expectReplaced('b0')
  })

  it('PUT of an existing document under a rule that refuses creates but allows updates → 200; of a new one → 403', async () => {
    const c = newCollection('updonly')
    await putCollection(t, c, { rules: { read: true, create: false, update: 'auth != null' } })
    const seeded = await db(t, service(t)).put(c, 'seeded', { v: 1 })
    expect(seeded.status).toBe(201)
    const replaced = await db(t, alice).put(c, 'seeded', { v: 2 })
    expect(replaced.status, JSON.stringify(replaced.body)).toBe(200)
    expect(replaced.body.data).toEqual({ v: 2 })
    const refused = await db(t, alice).put(c, 'fresh', { v: 1 })
    expect(refused.status).toBe(403)
    expect(refused.body.error.code).toBe('auth/forbidden')
    expect(await documentEvents(t, c, 'fresh')).toEqual([])
  })

  it('PATCH merges shallowly and bumps the version', async () => {
    await db(t, alice).put(col, 'patch-1', { a: 1, nested: { x: 1, y: 2 } })
    const res = await db(t, alice).patch(col, 'patch-1', { b: 2, nested: { z: 3 } })
    expect(res.status).toBe(200)
    expect(res.body.data).toEqual({ a: 1, b: 2, nested: { z: 3 } })
    expect(res.body.version).toBe(2)
    expect(res.headers.etag).toBe('"2"')
  })

  it('DELETE answers 204 and emits db.document.deleted with previous; then 404', async () => {
    const created = await db(t, alice).put(col, 'del-1', { a: 1 })
    const res = await db(t, alice).delete(col, 'del-1')
    expect(res.status).toBe(204)
    const events = await documentEvents(t, col, 'del-1')
    expect(events.at(-1)).toEqual({ type: 'db.document.deleted', data: { previous: created.body } })
    for (const r of [
      await db(t, alice).get(col, 'del-1'),
      await db(t, alice).delete(col, 'del-1'),
      await db(t, alice).patch(col, 'del-1', { a: 2 }),
    ]) {
      expect(r.status).toBe(404)
      expect(r.body.error.code).toBe('db/not-found')
    }
  })

  it.each([
    ['PUT', (c: Caller, v: string) => db(t, c).put(col, 'im-1', { x: 1 }, v)],
    ['PATCH', (c: Caller, v: string) => db(t, c).patch(col, 'im-1', { x: 1 }, v)],
    ['DELETE', (c: Caller, v: string) => db(t, c).delete(col, 'im-1', v)],
  ])('%s with a stale If-Match → 412 db/version-mismatch, nothing written', async (_m, write) => {
    await db(t, alice).put(col, 'im-1', { x: 0 })
    const current = (await db(t, alice).get(col, 'im-1')).body
    const before = (await documentEvents(t, col, 'im-1')).length
    const stale = await write(alice, `"${current.version + 1}"`)
    expect(stale.status).toBe(412)
    expect(stale.body.error).toMatchObject({
      code: 'db/version-mismatch',
      details: { expected: current.version + 1, actual: current.version },
    })
    expect((await documentEvents(t, col, 'im-1')).length).toBe(before)
    const fresh = await write(alice, String(current.version))
    expect([200, 204]).toContain(fresh.status)
  })

  it('If-Match race: two PATCHes on one version → one 200, one 412', async () => {
    for (let round = 0; round < 5; round++) {
      const id = `race-${round}`
      await db(t, alice).put(col, id, { n: 0 })
      const [a, b] = await Promise.all([
        db(t, alice).patch(col, id, { n: 1 }, '"1"'),
        db(t, alice).patch(col, id, { n: 2 }, '"1"'),
      ])
      expect([a.status, b.status].sort()).toEqual([200, 412])
      const final = await db(t, alice).get(col, id)
      expect(final.body.version).toBe(2)
      expect((await documentEvents(t, col, id)).map((e) => e.type)).toEqual([
        'db.document.created',
        'db.document.updated',
      ])
    }
  })

  it('PUT with If-Match on a document that does not exist → 412', async () => {
    const res = await db(t, alice).put(col, 'never-there', { a: 1 }, '"1"')
    expect(res.status).toBe(412)
    expect(res.body.error.details).toEqual({ expected: 1, actual: null })
  })

  it.each([['abc'], ['"1.5"'], ['-1']])('refuses If-Match %j with 400 request/invalid', async (value) => {
    await db(t, alice).put(col, 'im-bad', { a: 1 })
    const res = await db(t, alice).patch(col, 'im-bad', { a: 2 }, value)
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('request/invalid')
  })

  it('accepts ids of 128 characters and refuses longer ones or bad characters (400 request/invalid)', async () => {
    const longest = 'x'.repeat(128)
    expect((await db(t, alice).put(col, longest, { a: 1 })).status).toBe(201)
    expect((await db(t, alice).get(col, longest)).status).toBe(200)
    for (const res of [
      await db(t, alice).get(col, 'x'.repeat(129)),
      await db(t, alice).get(col, 'bad.id'),
      await db(t, alice).get('x'.repeat(129), 'a'),
      await db(t, alice).create(col, { id: 'bad id', data: {} }),
    ]) {
      expect(res.status).toBe(400)
      expect(res.body.error.code).toBe('request/invalid')
    }
  })
})
