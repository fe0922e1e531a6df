import request from 'supertest'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseOrderBy, parseWhere, resolveOrder } from '../../services/documents/query/query.ts'
import { compileList } from '../../services/documents/query/sql.ts'
import { LANES, usePlatform } from '../support/platform.ts'
import {
  bearer,
  type Caller,
  db,
  NO_RATE_LIMITS,
  newCollection,
  putCollection,
  service,
  user,
} from './helpers.ts'

// /admin/v1/collections: configuration, schemas, declared indexes, counts, deletion with events.
describe.each(LANES)('collections admin (%s lane)', (lane) => {
  const t = usePlatform(lane, NO_RATE_LIMITS)
  let alice: Caller
  const admin = () => {
    const api = request(t.url)
    const key = bearer(t.serviceKey)
    return {
      get: (path = '') => api.get(`/admin/v1/collections${path}`).set(key),
      put: (name: string, body: object) => api.put(`/admin/v1/collections/${name}`).set(key).send(body),
      delete: (name: string) => api.delete(`/admin/v1/collections/${name}`).set(key),
    }
  }

  beforeAll(async () => {
    alice = await user(t, 'alice')
  })
  it('documents the database routes in the OpenAPI document', async () => {
    const res = await request(t.url).get('/openapi.json')
    expect(res.status).toBe(200)
    for (const path of [
      '/db/v1/collections/{col}/documents',
      '/db/v1/collections/{col}/documents/{id}',
      '/db/v1/batch',
      '/admin/v1/collections/{col}',
    ]) {
      expect(Object.keys(res.body.paths)).toContain(path)
    }
  })

  it('is for the service key only (401 anon, 403 a user)', async () => {
    expect((await request(t.url).get('/admin/v1/collections')).status).toBe(401)
    expect((await request(t.url).get('/admin/v1/collections').set(alice.headers)).status).toBe(403)
    expect(
      (await request(t.url).put('/admin/v1/collections/x').set(alice.headers).send({ rules: {} })).status,
    ).toBe(403)
  })

  it('puts, gets and lists collections with document counts', async () => {
    const col = newCollection('cfg')
    const first = await admin().put(col, { rules: { read: true, create: 'auth != null' } })
    expect(first.status).toBe(200)
    expect(first.body.collection).toEqual({
      name: col,
      configured: true,
      rules: { read: true, create: 'auth != null', update: false, delete: false },
      schema: null,
      indexes: [],
      version: 1,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      documentCount: 0,
    })
    await db(t, alice).create(col, { data: { a: 1 } })
    await db(t, alice).create(col, { data: { a: 2 } })
    const second = await admin().put(col, { rules: { read: true, create: false } })
    expect(second.body.collection).toMatchObject({ version: 2, documentCount: 2 })
    // A change made through this node applies at once.
    expect((await db(t, alice).create(col, { data: { a: 3 } })).status).toBe(403)

    const unconfigured = newCollection('raw')
    await db(t, service(t)).create(unconfigured, { data: { x: 1 } })
    const list = await admin().get()
    expect(list.status).toBe(200)
    const byName = new Map(list.body.collections.map((c: { name: string }) => [c.name, c]))
    expect(byName.get(col)).toMatchObject({ configured: true, documentCount: 2 })
    expect(byName.get(unconfigured)).toMatchObject({ configured: false, rules: null, documentCount: 1 })
    expect((await admin().get(`/${col}`)).body.collection).toMatchObject({ name: col, documentCount: 2 })
    const missing = await admin().get(`/${newCollection('none')}`)
    expect(missing.status).toBe(404)
    expect(missing.body.error.code).toBe('db/not-found')
  })

  it('validates writes against the JSON Schema (422 db/validation-failed with details)', async () => {
    const col = newCollection('schema')
    await putCollection(t, col, {
      rules: { read: true, create: true, update: true },
      schema: {
        type: 'object',
        required: ['title'],
        properties: { title: { type: 'string', minLength: 1 }, email: { type: 'string', format: 'email' } },
        additionalProperties: false,
      },
    })
    const ok = await db(t, alice).create(col, { id: 's1', data: { title: 'hi', email: 'a@b.co' } })
    expect(ok.status).toBe(201)
    for (const res of [
      await db(t, alice).create(col, { data: { title: '' } }),
      await db(t, alice).create(col, { data: { title: 'x', email: 'not-an-email' } }),
      await db(t, alice).create(col, { data: { title: 'x', extra: 1 } }),
      await db(t, alice).put(col, 's1', { nope: true }),
      await db(t, alice).patch(col, 's1', { title: 7 }),
    ]) {
      expect(res.status, JSON.stringify(res.body)).toBe(422)
      expect(res.body.error.code).toBe('db/validation-failed')
      expect(res.body.error.details.errors[0]).toEqual(
        expect.objectContaining({ path: expect.any(String), message: expect.any(String) }),
      )
    }
    // The service key bypasses rules, not schemas.
    expect((await db(t, service(t)).create(col, { data: {} })).status).toBe(422)
    // A new schema version applies at once; removing it lifts the check.
    await putCollection(t, col, { rules: { read: true, create: true, update: true }, schema: null })
    expect((await db(t, alice).create(col, { data: { anything: 1 } })).status).toBe(201)
  })

  it.each([
    ['a schema ajv cannot compile', { rules: {}, schema: { type: 'nope' } }],
    ['a schema with an unresolvable $ref', { rules: {}, schema: { $ref: 'https://example.com/x.json' } }],
    ['an index with a bad direction', { rules: {}, indexes: [['a', 'up']] }],
    ['an index with a bad path', { rules: {}, indexes: [['a..b', 'asc']] }],
    ['an unknown rule action', { rules: { write: true } }],
    ['no rules', {}],
  ])('refuses %s (400 request/invalid)', async (_name, body) => {
    const res = await admin().put(newCollection('bad'), body)
    expect(res.status, JSON.stringify(res.body)).toBe(400)
    expect(res.body.error.code).toBe('request/invalid')
  })

  async function declaredIndexes(): Promise<string[]> {
    const rows = await t.platform.db.query<{ indexname: string }>(
      "SELECT indexname FROM pg_indexes WHERE tablename = 'documents' AND indexname LIKE 'documents_ix_%' ORDER BY indexname",
    )
    return rows.map((r) => r.indexname)
  }

  it('builds declared indexes as expression indexes the planner uses, and drops undeclared ones', async () => {
    const col = newCollection('ix')
    const before = await declaredIndexes()
    await putCollection(t, col, {
      rules: { read: true, create: true },
      indexes: [
        ['score', 'desc'],
        [
          ['status', 'asc'],
          ['$createdAt', 'desc'],
        ],
        [['a.b', 'asc']],
      ],
    })
    const added = (await declaredIndexes()).filter((name) => !before.includes(name))
    expect(added).toHaveLength(3)
    // Enough rows that an index scan beats a sequential one.
    const writes = Array.from({ length: 400 }, (_, i) => ({
      op: 'create',
      collection: col,
      id: `d${i}`,
      data: { score: i % 97, status: i % 2 ? 'open' : 'closed', a: { b: i } },
    }))
    expect((await db(t, service(t)).batch(writes)).status).toBe(200)
    await t.platform.db.query('ANALYZE documents')
    const query = compileList({
      collection: col,
      where: parseWhere([['status', '==', 'open']]),
      order: resolveOrder(parseOrderBy([['$createdAt', 'desc']])),
      limit: 10,
    })
    const plan = await t.platform.db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${query.text}`, query.params)
    expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Index (Only )?Scan.*documents_ix_/)
    const top = await db(t, alice).list(col, { orderBy: [['score', 'desc']], limit: 3 })
    expect(top.body.documents.map((d: { data: { score: number } }) => d.data.score)).toEqual([96, 96, 96])

    await putCollection(t, col, { rules: { read: true, create: true }, indexes: [['score', 'desc']] })
    const after = (await declaredIndexes()).filter((name) => !before.includes(name))
    expect(after).toEqual([added.find((name) => after.includes(name))])
    expect(after).toHaveLength(1)
  })

  it('deletes a collection: configuration, documents in chunks with their events, indexes', async () => {
    const col = newCollection('gone')
    await putCollection(t, col, { rules: { read: true, create: true }, indexes: [['n', 'asc']] })
    const indexesBefore = (await declaredIndexes()).length
    for (let chunk = 0; chunk < 3; chunk++) {
      const writes = Array.from({ length: 400 }, (_, i) => ({
        op: 'create',
        collection: col,
        data: { n: chunk * 400 + i },
      }))
      expect((await db(t, service(t)).batch(writes)).status).toBe(200)
    }
    const res = await admin().delete(col)
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ deleted: 1200 })
    const [events] = await t.platform.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM outbox WHERE type = 'db.document.deleted' AND subject LIKE $1",
      [`collections/${col}/documents/%`],
    )
    expect(events!.n).toBe(1200)
    expect((await admin().get(`/${col}`)).status).toBe(404)
    expect((await declaredIndexes()).length).toBe(indexesBefore - 1)
    expect((await db(t, alice).list(col)).status).toBe(403)
    expect((await admin().delete(col)).status).toBe(404)
  })
})
