import request from 'supertest'
import { beforeAll, describe, expect, it } from 'vitest'
import { uniqueName } from '../support/lanes.ts'
import { LANES, usePlatform } from '../support/platform.ts'
import { auditEntries, bearer, type SignedInAdmin, signInAdmin, signUpUser } from './helpers.ts'

const OWNER_RULE = 'auth != null && doc.owner == auth.uid'

// POST /admin/v1/rules/simulate and /rules/check, through HTTP, as a viewer (both only read).
describe.each(LANES)('rules simulator (%s lane)', (lane) => {
  const t = usePlatform(lane, { RATE_LIMIT_SIGNIN: '1000' })
  const api = () => request(t.url)
  const service = () => bearer(t.serviceKey)
  let viewer: SignedInAdmin
  let alice: { uid: string; email: string }
  let bob: { uid: string }
  const notes = uniqueName('notes')
  const loose = uniqueName('loose')
  const broken = uniqueName('broken')
  const files = uniqueName('files').replaceAll('_', '-')
  const pub = uniqueName('pub').replaceAll('_', '-')

  const simulate = (body: object, as = viewer.token) =>
    api().post('/admin/v1/rules/simulate').set(bearer(as)).send(body)

  beforeAll(async () => {
    viewer = await signInAdmin(t, 'viewer')
    alice = await signUpUser(t)
    bob = await signUpUser(t)
    const put = async (path: string, body: object, status = 200) => {
      const res = await api().put(path).set(service()).send(body)
      expect(res.status, JSON.stringify(res.body)).toBe(status)
    }
    await put(`/admin/v1/collections/${notes}`, {
      rules: {
        read: OWNER_RULE,
        create: 'auth != null && request.data.owner == auth.uid',
        delete: 'auth.claims.aal == "aal2"',
      },
    })
    const doc = await api()
      .put(`/db/v1/collections/${notes}/documents/n1`)
      .set(service())
      .send({ data: { owner: alice.uid, text: 'hello' } })
    expect(doc.status).toBe(201)
    // Documents but no configuration: only the service key may use it.
    expect(
      (await api().put(`/db/v1/collections/${loose}/documents/x`).set(service()).send({ data: {} })).status,
    ).toBe(201)
    // A rule stored before it stopped compiling (saving checks rules, so it goes in behind the API's back).
    await t.platform.db.query(
      `INSERT INTO db_collections (name, rules, schema, indexes) VALUES ($1, $2::jsonb, NULL, '[]'::jsonb)`,
      [broken, JSON.stringify({ read: 'auth.uid ==', create: false, update: false, delete: false })],
    )
    await put(
      `/admin/v1/buckets/${files}`,
      {
        rules: {
          read: 'auth != null && object.key.startsWith(auth.uid + "/")',
          write: 'auth != null && object.size < 100 && request.key.startsWith(auth.uid + "/")',
        },
      },
      201,
    )
    await put(`/admin/v1/buckets/${pub}`, { public: true }, 201)
    const upload = await api()
      .put(`/storage/v1/object/${files}/${alice.uid}/a.txt`)
      .set(service())
      .set('content-type', 'text/plain')
      .send('abc')
    expect(upload.status).toBe(200)
  })

  it('explains a read: who passes, who fails and on which side of &&, with the values read', async () => {
    const owner = await simulate({
      target: 'document',
      collection: notes,
      id: 'n1',
      operation: 'read',
      auth: { uid: alice.uid },
    })
    expect(owner.status, JSON.stringify(owner.body)).toBe(200)
    expect(owner.body).toMatchObject({
      allowed: true,
      rule: OWNER_RULE,
      action: 'read',
      decidedBy: { expression: OWNER_RULE, value: true },
      bindings: { 'doc.owner': alice.uid, 'auth.uid': alice.uid },
      missing: [],
      auth: { uid: alice.uid, role: 'authenticated', email: alice.email, claims: { aal: 'aal1' } },
    })
    expect(owner.body.bindings.auth).toMatchObject({ uid: alice.uid })

    const other = await simulate({
      target: 'document',
      collection: notes,
      id: 'n1',
      operation: 'read',
      auth: { uid: bob.uid },
    })
    expect(other.body).toMatchObject({
      allowed: false,
      decidedBy: {
        expression: 'doc.owner == auth.uid',
        value: false,
        start: { line: 1, column: 17, offset: 16 },
      },
      bindings: { 'doc.owner': alice.uid, 'auth.uid': bob.uid },
    })
    const anon = await simulate({
      target: 'document',
      collection: notes,
      id: 'n1',
      operation: 'read',
      auth: null,
    })
    expect(anon.body).toMatchObject({
      allowed: false,
      decidedBy: { expression: 'auth != null', value: false },
      auth: null,
    })

    // `existing` stands in for the stored document (or for one that does not exist yet).
    const mine = await simulate({
      target: 'document',
      collection: notes,
      id: 'n1',
      operation: 'read',
      auth: { uid: bob.uid },
      existing: { owner: bob.uid },
    })
    expect(mine.body.allowed).toBe(true)
  })

  it('judges a list without a document from auth alone, or says it filters per document', async () => {
    const anon = await simulate({ target: 'document', collection: notes, operation: 'list', auth: null })
    expect(anon.body).toMatchObject({
      allowed: false,
      action: 'read',
      fallback: expect.stringContaining('read rule'),
    })
    expect(anon.body.perItem).toBeUndefined()
    const signedIn = await simulate({
      target: 'document',
      collection: notes,
      operation: 'list',
      auth: { uid: bob.uid },
    })
    expect(signedIn.body).toMatchObject({ allowed: true, perItem: true, missing: [] })
    expect(signedIn.body.bindings).not.toHaveProperty('doc.owner')
    const one = await simulate({
      target: 'document',
      collection: notes,
      id: 'n1',
      operation: 'list',
      auth: { uid: bob.uid },
    })
    expect(one.body).toMatchObject({ allowed: false })
  })

  it('judges writes with request.data, the fallback of a write, and made-up claims', async () => {
    const create = await simulate({
      target: 'document',
      collection: notes,
      operation: 'create',
      auth: { uid: alice.uid },
      data: { owner: alice.uid },
    })
    expect(create.body).toMatchObject({
      allowed: true,
      action: 'create',
      bindings: { 'request.data.owner': alice.uid },
    })
    // A PUT on an existing document is an update; this collection has no update rule (false).
    const write = await simulate({
      target: 'document',
      collection: notes,
      id: 'n1',
      operation: 'write',
      auth: { uid: alice.uid },
      data: { owner: alice.uid },
    })
    expect(write.body).toMatchObject({
      allowed: false,
      action: 'update',
      rule: 'false',
      fallback: expect.stringContaining('update rule'),
    })
    const newDoc = await simulate({
      target: 'document',
      collection: notes,
      id: 'n2',
      operation: 'write',
      auth: { uid: alice.uid },
      data: { owner: alice.uid },
    })
    expect(newDoc.body).toMatchObject({ allowed: true, action: 'create' })
    const aal2 = await simulate({
      target: 'document',
      collection: notes,
      id: 'n1',
      operation: 'delete',
      auth: { claims: { sub: 'someone', aal: 'aal2' } },
    })
    expect(aal2.body).toMatchObject({
      allowed: true,
      bindings: { 'auth.claims.aal': 'aal2' },
      auth: { uid: 'someone', role: 'authenticated' },
    })
    const aal1 = await simulate({
      target: 'document',
      collection: notes,
      id: 'n1',
      operation: 'delete',
      auth: { uid: alice.uid },
    })
    expect(aal1.body).toMatchObject({ allowed: false, bindings: { 'auth.claims.aal': 'aal1' } })
  })

  it('says when no rule applies, and reports a stored rule that does not compile', async () => {
    const none = await simulate({
      target: 'document',
      collection: loose,
      id: 'x',
      operation: 'read',
      auth: { uid: alice.uid },
    })
    expect(none.body).toMatchObject({
      allowed: false,
      rule: null,
      action: null,
      explanation: expect.stringMatching(/no rules/),
    })
    const bad = await simulate({ target: 'document', collection: broken, operation: 'read', auth: null })
    expect(bad.status).toBe(200)
    expect(bad.body).toMatchObject({
      allowed: false,
      rule: 'auth.uid ==',
      error: { message: expect.any(String), position: { line: 1, column: 12, offset: 11 } },
    })
  })

  it('explains bucket rules: public reads, uploads by the write rule, absent rules', async () => {
    const publicRead = await simulate({
      target: 'object',
      bucket: pub,
      key: 'any.txt',
      operation: 'read',
      auth: null,
    })
    expect(publicRead.body).toMatchObject({
      allowed: true,
      rule: null,
      explanation: expect.stringMatching(/public/),
    })
    const own = await simulate({
      target: 'object',
      bucket: files,
      key: `${alice.uid}/a.txt`,
      operation: 'read',
      auth: { uid: alice.uid },
    })
    expect(own.body).toMatchObject({
      allowed: true,
      action: 'read',
      bindings: { 'object.key': `${alice.uid}/a.txt` },
    })
    const small = await simulate({
      target: 'object',
      bucket: files,
      key: `${alice.uid}/b.txt`,
      operation: 'create',
      auth: { uid: alice.uid },
      data: { size: 10, contentType: 'text/plain' },
    })
    expect(small.body).toMatchObject({
      allowed: true,
      action: 'write',
      fallback: expect.stringContaining('write rule'),
    })
    const big = await simulate({
      target: 'object',
      bucket: files,
      key: `${alice.uid}/b.txt`,
      operation: 'write',
      auth: { uid: alice.uid },
      data: { size: 1000 },
    })
    expect(big.body).toMatchObject({
      allowed: false,
      decidedBy: { expression: 'object.size < 100', value: false },
      bindings: { 'object.size': 1000 },
    })
    const noDelete = await simulate({
      target: 'object',
      bucket: files,
      key: `${alice.uid}/a.txt`,
      operation: 'delete',
      auth: { uid: alice.uid },
    })
    expect(noDelete.body).toMatchObject({ allowed: false, rule: null, action: 'delete' })
    const list = await simulate({
      target: 'object',
      bucket: files,
      operation: 'list',
      auth: { uid: alice.uid },
    })
    expect(list.body).toMatchObject({ allowed: true, perItem: true })
    const anonList = await simulate({ target: 'object', bucket: files, operation: 'list', auth: null })
    expect(anonList.body).toMatchObject({ allowed: false })
  })

  it('answers bad input with 400 request/invalid and unknown names with 404', async () => {
    const bad: object[] = [
      {},
      { target: 'document', collection: notes, operation: 'read' },
      { target: 'table', collection: notes, operation: 'read', auth: null },
      { target: 'document', collection: notes, operation: 'upsert', auth: null },
      { target: 'document', operation: 'read', auth: null },
      { target: 'document', collection: notes, bucket: files, operation: 'read', auth: null },
      { target: 'object', operation: 'read', auth: null },
      { target: 'object', bucket: files, operation: 'read', auth: null },
      { target: 'object', bucket: files, key: 'k', operation: 'create', auth: null, data: { size: -1 } },
      { target: 'object', bucket: files, key: 'k', operation: 'create', auth: null, data: { nope: 1 } },
      { target: 'document', collection: notes, operation: 'read', auth: {} },
      { target: 'document', collection: notes, operation: 'read', auth: 'alice' },
      { target: 'document', collection: notes, operation: 'create', auth: null },
      { target: 'document', collection: 'no spaces', operation: 'read', auth: null },
      { target: 'document', collection: notes, operation: 'read', auth: null, extra: 1 },
    ]
    for (const body of bad) {
      const res = await simulate(body)
      expect(res.status, `${JSON.stringify(body)} → ${JSON.stringify(res.body)}`).toBe(400)
      expect(res.body.error.code).toBe('request/invalid')
    }
    const malformed = await api()
      .post('/admin/v1/rules/simulate')
      .set(bearer(viewer.token))
      .set('content-type', 'application/json')
      .send('{"target":')
    expect(malformed.status).toBe(400)

    const missing: [object, string][] = [
      [{ target: 'document', collection: uniqueName('none'), operation: 'read', auth: null }, 'db/not-found'],
      [
        { target: 'object', bucket: 'no-such-bucket', key: 'k', operation: 'read', auth: null },
        'storage/not-found',
      ],
      [
        { target: 'document', collection: notes, operation: 'read', auth: { uid: 'nobody' } },
        'auth/user-not-found',
      ],
    ]
    for (const [body, code] of missing) {
      const res = await simulate(body)
      expect(res.status, JSON.stringify(res.body)).toBe(404)
      expect(res.body.error.code).toBe(code)
    }
  })

  it('checks an expression and gives the position of its error', async () => {
    const check = (expression: unknown) =>
      api().post('/admin/v1/rules/check').set(bearer(viewer.token)).send({ expression })
    expect((await check('auth != null')).body).toEqual({ ok: true })
    const bad = await check('auth != null &&\n  doc.owner == ')
    expect(bad.status).toBe(200)
    expect(bad.body).toEqual({
      ok: false,
      error: { message: 'Unexpected token: EOF', position: { line: 2, column: 16, offset: 31 } },
    })
    const unknown = await check('nobody == 1')
    expect(unknown.body).toMatchObject({
      ok: false,
      error: {
        message: expect.stringMatching(/Unknown variable/),
        position: { offset: 0 },
        end: { offset: 6 },
      },
    })
    expect((await check('')).body).toMatchObject({ ok: false })
    // (The gateway coerces scalars, as on every route: 1 would be checked as "1".)
    for (const body of [{}, { expression: { a: 1 } }, { expression: 'x'.repeat(10_001) }]) {
      const res = await api().post('/admin/v1/rules/check').set(bearer(viewer.token)).send(body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body.error.code).toBe('request/invalid')
    }
  })

  it('lets every role call both, leaves no audit entry, and still wants the CSRF header with the cookie', async () => {
    const before = (await auditEntries(t, 500)).length
    const developer = await signInAdmin(t, 'developer')
    const afterSignIn = (await auditEntries(t, 500)).length
    const body = { target: 'document', collection: notes, id: 'n1', operation: 'read', auth: null }
    expect((await simulate(body, developer.token)).status).toBe(200)
    expect((await simulate(body, viewer.token)).status).toBe(200)
    expect((await api().post('/admin/v1/rules/simulate').set(service()).send(body)).status).toBe(200)
    expect(
      (await api().post('/admin/v1/rules/check').set(bearer(viewer.token)).send({ expression: 'true' }))
        .status,
    ).toBe(200)
    expect((await auditEntries(t, 500)).length).toBe(afterSignIn)
    expect(afterSignIn).toBeGreaterThan(before)

    const cookie = await api()
      .post('/admin/v1/rules/check')
      .set('cookie', viewer.cookie)
      .send({ expression: 'true' })
    expect(cookie.status).toBe(403)
    const withCsrf = await api()
      .post('/admin/v1/rules/check')
      .set('cookie', viewer.cookie)
      .set('x-csrf-token', viewer.csrf)
      .send({ expression: 'true' })
    expect(withCsrf.status).toBe(200)
    const user = await signUpUser(t)
    const stranger = await api()
      .post('/admin/v1/rules/check')
      .set(bearer(user.access))
      .send({ expression: 'true' })
    expect(stranger.status).toBe(403)
  })
})
