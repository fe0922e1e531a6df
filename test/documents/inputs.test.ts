import request from 'supertest'
import { beforeAll, describe, expect, it } from 'vitest'
import { LANES, usePlatform } from '../support/platform.ts'
import { type Caller, db, NO_RATE_LIMITS, newCollection, putCollection, user } from './helpers.ts'

// Bad and unusual input: never a 500, always a clear 4xx with a code; odd but valid data round-trips.
function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true }
  for (let i = 1; i < depth; i++) value = { d: value }
  return value
}

describe.each(LANES)('document input (%s lane)', (lane) => {
  const t = usePlatform(lane, { ...NO_RATE_LIMITS, DB_MAX_DEPTH: '100' })
  let alice: Caller
  const col = newCollection('in')

  beforeAll(async () => {
    alice = await user(t, 'alice')
    await putCollection(t, col, { rules: { read: true, create: true, update: true, delete: true } })
  })
  const post = (body: string, type = 'application/json') =>
    request(t.url)
      .post(`/db/v1/collections/${col}/documents`)
      .set(alice.headers)
      .set('content-type', type)
      .send(body)

  it.each([
    ['malformed JSON', '{"data": {', 400, 'request/invalid'],
    ['an empty body', '', 400, 'request/invalid'],
    ['data that is an array', '{"data": [1, 2]}', 400, 'request/invalid'],
    ['data that is a string', '{"data": "x"}', 400, 'request/invalid'],
    ['no data', '{"id": "x"}', 400, 'request/invalid'],
    ['an unknown field', '{"data": {}, "extra": 1}', 400, 'request/invalid'],
    ['a __proto__ key', '{"data": {"__proto__": {"admin": true}}}', 400, 'request/invalid'],
    ['U+0000 in a value', '{"data": {"a": "x\\u0000y"}}', 400, 'db/invalid-document'],
    ['U+0000 in a key', '{"data": {"a\\u0000": 1}}', 400, 'db/invalid-document'],
    ['a lone surrogate (refused by the gateway)', '{"data": {"a": "\\ud800"}}', 400, 'request/invalid'],
  ])('refuses %s → %i %s', async (_name, body, status, code) => {
    const res = await post(body)
    expect(res.status, JSON.stringify(res.body)).toBe(status)
    expect(res.body.error.code).toBe(code)
  })

  it('refuses a body that is not JSON (415)', async () => {
    const res = await post('data=1', 'application/x-www-form-urlencoded')
    expect(res.status).toBe(415)
  })

  it('accepts nesting of exactly DB_MAX_DEPTH and refuses one more (400 db/invalid-document)', async () => {
    expect((await db(t, alice).create(col, { data: nested(100) })).status).toBe(201)
    const res = await db(t, alice).create(col, { data: nested(101) })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('db/invalid-document')
  })

  it('survives hostile nesting (100k levels) with a 400', async () => {
    const body = `{"data":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`
    const res = await post(body)
    expect(res.status).toBe(400)
  })

  it('refuses a document over 1 MiB with 413 db/too-large, and a PATCH that would grow it past', async () => {
    const big = { blob: 'x'.repeat(1024 * 1024) }
    const res = await db(t, alice).create(col, { data: big })
    expect(res.status).toBe(413)
    expect(res.body.error).toMatchObject({ code: 'db/too-large', details: { limit: 1024 * 1024 } })
    await db(t, alice).put(col, 'grow', { half: 'x'.repeat(600 * 1024) })
    const patched = await db(t, alice).patch(col, 'grow', { other: 'y'.repeat(600 * 1024) })
    expect(patched.status).toBe(413)
    expect((await db(t, alice).get(col, 'grow')).body.version).toBe(1)
  })

  it('refuses a body over the request limit with 413 request/too-large', async () => {
    const res = await db(t, alice).create(col, { data: { blob: 'x'.repeat(3 * 1024 * 1024) } })
    expect(res.status).toBe(413)
    expect(res.body.error.code).toBe('request/too-large')
  })

  it('round-trips unicode, dotted and odd keys, and queries them', async () => {
    const data = {
      'a.b': 1,
      $dollar: 2,
      '': 'empty key',
      'with space': true,
      emoji: '😀 ünïcødé',
      日本: { ключ: 'значение' },
      quote: 'it\'s "quoted" \\ back',
      control: '\u0001\u001f',
      nums: [0, -0.5, 1e21, 5e-324],
    }
    const created = await db(t, alice).create(col, { id: 'odd', data })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const got = await db(t, alice).get(col, 'odd')
    expect(got.body.data).toEqual(data)
    for (const where of [
      [['`a.b`', '==', 1]],
      [['`$dollar`', '==', 2]],
      [['日本.ключ', '==', 'значение']],
      [['emoji', '>=', '😀']],
      [['control', '==', '\u0001\u001f']],
      [['nums', 'array-contains', 5e-324]],
    ]) {
      const res = await db(t, alice).list(col, { where })
      expect(res.status, JSON.stringify(where)).toBe(200)
      expect(
        res.body.documents.map((d: { id: string }) => d.id),
        JSON.stringify(where),
      ).toEqual(['odd'])
    }
  })
})

describe.each(LANES)('configurable document limits (%s lane)', (lane) => {
  const t = usePlatform(lane, { DB_MAX_DOCUMENT_BYTES: '2048', DB_MAX_DEPTH: '3' })
  it('applies DB_MAX_DOCUMENT_BYTES and DB_MAX_DEPTH', async () => {
    const col = newCollection('lim')
    await putCollection(t, col, { rules: { create: true } })
    const api = db(t, { name: 'anon', uid: null, headers: {} })
    expect((await api.create(col, { data: { s: 'x'.repeat(2000) } })).status).toBe(201)
    expect((await api.create(col, { data: { s: 'x'.repeat(2100) } })).status).toBe(413)
    // {} is depth 1: three levels of objects pass, a fourth does not.
    expect((await api.create(col, { data: { a: { b: [1] } } })).status).toBe(201)
    expect((await api.create(col, { data: { a: { b: { c: [] } } } })).status).toBe(400)
  })
})
