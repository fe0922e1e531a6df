import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LANES, startTestPlatform, type TestPlatform, usePlatform } from '../support/platform.ts'
import {
  anon,
  bearer,
  type Caller,
  collectionEventCount,
  db,
  NO_RATE_LIMITS,
  newCollection,
  putCollection,
  service,
  user,
} from './helpers.ts'

// Collection rules (CEL) for every kind of caller and action, and how list queries apply the read rule.
const OWNER_RULES = {
  read: 'auth != null && (doc.owner == auth.uid || doc.public == true)',
  create: 'auth != null && request.data.owner == auth.uid',
  update: 'auth != null && doc.owner == auth.uid && request.data.owner == auth.uid',
  delete: 'auth != null && doc.owner == auth.uid',
}

describe.each(LANES)('collection rules (%s lane)', (lane) => {
  const t = usePlatform(lane, NO_RATE_LIMITS)
  let owner: Caller
  let other: Caller
  const callers = () => ({ anon, owner, other, service: service(t) })
  const col = newCollection('rules')

  beforeAll(async () => {
    owner = await user(t, 'owner')
    other = await user(t, 'other')
    await putCollection(t, col, { rules: OWNER_RULES })
  })
  // caller × action → expected status. The owner's document is private (public: false).
  const MATRIX: [keyof ReturnType<typeof callers>, 'read' | 'create' | 'update' | 'delete', number][] = [
    ['anon', 'read', 403],
    ['anon', 'create', 403],
    ['anon', 'update', 403],
    ['anon', 'delete', 403],
    ['owner', 'read', 200],
    ['owner', 'create', 201],
    ['owner', 'update', 200],
    ['owner', 'delete', 204],
    ['other', 'read', 403],
    ['other', 'create', 403],
    ['other', 'update', 403],
    ['other', 'delete', 403],
    ['service', 'read', 200],
    ['service', 'create', 201],
    ['service', 'update', 200],
    ['service', 'delete', 204],
  ]

  it.each(MATRIX)('%s may %s? → %i', async (who, action, status) => {
    const caller = callers()[who]
    const id = `m-${who}-${action}`
    // Every case starts from the owner's private document (for create: from nothing).
    if (action !== 'create') {
      const seeded = await db(t, owner).put(col, id, { owner: owner.uid, public: false, n: 0 })
      expect(seeded.status).toBe(201)
    }
    const before = await collectionEventCount(t, col)
    const api = db(t, caller)
    const res =
      action === 'read'
        ? await api.get(col, id)
        : action === 'create'
          ? await api.create(col, { id, data: { owner: owner.uid, n: 1 } })
          : action === 'update'
            ? await api.patch(col, id, { n: 2 })
            : await api.delete(col, id)
    expect(res.status, JSON.stringify(res.body)).toBe(status)
    const wrote = action !== 'read' && status < 300
    expect(await collectionEventCount(t, col)).toBe(before + (wrote ? 1 : 0))
    if (status === 403) expect(res.body.error.code).toBe('auth/forbidden')
  })

  it('an update may not hand the document to someone else (request.data is the merged result)', async () => {
    await db(t, owner).put(col, 'handover', { owner: owner.uid })
    const res = await db(t, owner).patch(col, 'handover', { owner: other.uid })
    expect(res.status).toBe(403)
  })

  it('a missing document is 404 only to a caller the rule allows with doc = null', async () => {
    // A rule reading doc fails on null, so it reveals nothing: 403 whether or not the id exists.
    expect((await db(t, owner).get(col, 'nope')).status).toBe(403)
    const c = newCollection('signed')
    await putCollection(t, c, { rules: { read: 'auth != null' } })
    expect((await db(t, anon).get(c, 'nope')).status).toBe(403)
    const missing = await db(t, owner).get(c, 'nope')
    expect(missing.status).toBe(404)
    expect(missing.body.error.code).toBe('db/not-found')
  })

  it('a collection with no rules denies everyone but the service key', async () => {
    const bare = newCollection('bare')
    for (const caller of [anon, owner]) {
      const res = await db(t, caller).create(bare, { data: { a: 1 } })
      expect(res.status).toBe(403)
      expect(res.body.error.code).toBe('auth/forbidden')
      expect((await db(t, caller).list(bare)).status).toBe(403)
    }
    const created = await db(t, service(t)).create(bare, { id: 'x', data: { a: 1 } })
    expect(created.status).toBe(201)
    expect((await db(t, owner).get(bare, 'x')).status).toBe(403)
    expect((await db(t, service(t)).list(bare)).body.documents).toHaveLength(1)
  })

  describe('list queries and the read rule', () => {
    const listCol = newCollection('list')
    beforeAll(async () => {
      await putCollection(t, listCol, { rules: { ...OWNER_RULES, create: true } })
      const s = db(t, service(t))
      const writes = []
      for (let i = 0; i < 30; i++) {
        const mine = i % 3 === 0
        writes.push({
          op: 'create',
          collection: listCol,
          id: `l${String(i).padStart(2, '0')}`,
          data: { owner: mine ? owner.uid : other.uid, public: i % 5 === 0, i },
        })
      }
      expect((await s.batch(writes)).status).toBe(200)
    })

    it('filters out documents the rule refuses (rule depends on doc)', async () => {
      const res = await db(t, owner).list(listCol, { limit: 1000 })
      expect(res.status).toBe(200)
      const expected = Array.from({ length: 30 }, (_, i) => i).filter((i) => i % 3 === 0 || i % 5 === 0)
      expect(res.body.documents.map((d: { data: { i: number } }) => d.data.i)).toEqual(expected)
      expect(res.body.nextCursor).toBeNull()
    })

    it('refuses with 403 when the rule cannot allow this caller whatever the document', async () => {
      const res = await db(t, anon).list(listCol)
      expect(res.status).toBe(403)
      expect(res.body.error.code).toBe('auth/forbidden')
    })

    it('pages filtered results: full pages when rows allow, every readable document exactly once', async () => {
      const seen: number[] = []
      let cursor: string | undefined
      let pages = 0
      do {
        const res = await db(t, owner).list(listCol, { limit: 4, ...(cursor ? { cursor } : {}) })
        expect(res.status).toBe(200)
        expect(res.body.documents.length).toBeLessThanOrEqual(4)
        seen.push(...res.body.documents.map((d: { data: { i: number } }) => d.data.i))
        cursor = res.body.nextCursor ?? undefined
        pages++
      } while (cursor)
      expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => i).filter((i) => i % 3 === 0 || i % 5 === 0))
      expect(pages).toBe(4)
    })

    it('a rule that does not read doc is decided once: true lists all, false answers 403', async () => {
      const open = newCollection('open')
      await putCollection(t, open, { rules: { read: 'auth != null', create: true } })
      await db(t, anon).create(open, { data: { a: 1 } })
      expect((await db(t, owner).list(open)).body.documents).toHaveLength(1)
      expect((await db(t, anon).list(open)).status).toBe(403)
    })
  })

  describe('a short scan budget (DB_LIST_MAX_SCAN)', () => {
    let small: TestPlatform
    beforeAll(async () => {
      small = await startTestPlatform(lane, { ...NO_RATE_LIMITS, DB_LIST_MAX_SCAN: '5' })
    })
    afterAll(async () => {
      await small?.close()
    })

    it('returns short (even empty) pages whose cursors still progress to the end', async () => {
      const c = newCollection('scan')
      await putCollection(small, c, { rules: { read: 'doc.visible == true', create: true } })
      const writes = Array.from({ length: 23 }, (_, i) => ({
        op: 'create',
        collection: c,
        id: `s${String(i).padStart(2, '0')}`,
        data: { visible: i >= 20, i },
      }))
      expect((await db(small, service(small)).batch(writes)).status).toBe(200)
      const pages: number[][] = []
      let cursor: string | undefined
      do {
        const res = await db(small, anon).list(c, { limit: 2, ...(cursor ? { cursor } : {}) })
        expect(res.status).toBe(200)
        pages.push(res.body.documents.map((d: { data: { i: number } }) => d.data.i))
        cursor = res.body.nextCursor ?? undefined
        // An opaque cursor: it does not show the unreadable row it stopped at.
        if (cursor) expect(Buffer.from(cursor, 'base64url').toString('latin1')).not.toContain('s0')
      } while (cursor && pages.length < 20)
      expect(pages.flat()).toEqual([20, 21, 22])
      expect(pages[0]).toEqual([])
      expect(pages.length).toBeGreaterThan(3)
    })
  })

  it('admin refuses a rule that does not compile (400 request/invalid naming it)', async () => {
    const res = await request(t.url)
      .put(`/admin/v1/collections/${newCollection('bad')}`)
      .set(bearer(t.serviceKey))
      .send({ rules: { read: 'auth.uid ==', create: 'nope == 1' } })
    expect(res.status).toBe(400)
    expect(res.body.error).toMatchObject({ code: 'request/invalid', details: { field: 'rules.read' } })
  })

  it('a rule that errors at evaluation denies', async () => {
    const c = newCollection('err')
    await putCollection(t, c, { rules: { read: 'doc.missing.deep == 1', create: 'request.data.nope > 1' } })
    expect((await db(t, owner).create(c, { data: { a: 1 } })).status).toBe(403)
    await db(t, service(t)).create(c, { id: 'a', data: { a: 1 } })
    expect((await db(t, owner).get(c, 'a')).status).toBe(403)
    expect((await db(t, owner).list(c)).body.documents).toEqual([])
  })
})
