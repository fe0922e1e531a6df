import { createHash, randomUUID } from 'node:crypto'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { ApiKeyService } from '../../services/admin/api-keys.ts'
import { SigningKeys } from '../../services/auth/signing-keys.ts'
import { createLogger } from '../../services/core/logger.ts'
import { migrate, readMigrations } from '../../services/db/migrate.ts'
import { RealtimeClient } from '../realtime/client.ts'
import { createTestDatabase, DB_LANES } from '../support/databases.ts'
import { eventually } from '../support/lanes.ts'
import { LANES, usePlatform } from '../support/platform.ts'
import { auditEntries, bearer, signInAdmin } from './helpers.ts'

const KEY_SHAPE = /^sk_([0-9a-f]{24})_([A-Za-z0-9_-]{43})$/
// What another node sees of a change made through this one: a revocation must land there within this.
const CROSS_NODE_BOUND_MS = 5000

interface CreatedKey {
  id: string
  name: string
  scopes: string[]
  expiresAt: string | null
  createdAt: string
  createdBy: { type: string; id?: string; email?: string }
  key: string
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
const secretOf = (key: string) => KEY_SHAPE.exec(key)![2]!

/** The payload of a JWT, unverified (the tests only read claims they got from the server). */
function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'))
}

// Scoped, revocable API keys and the revocable service key, through HTTP.
describe.each(LANES)('API keys (%s lane)', (lane) => {
  const t = usePlatform(lane)
  const api = () => request(t.url)
  const service = () => bearer(t.serviceKey)

  async function createKey(body: Record<string, unknown>, auth = service()): Promise<CreatedKey> {
    const res = await api().post('/admin/v1/api-keys').set(auth).send(body)
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    return res.body
  }

  /** Expects `res` to be a 403 naming `scope` as the one the key lacks. */
  function expectOutOfScope(res: request.Response, scope: string): void {
    expect([res.status, res.body.error?.code], JSON.stringify(res.body)).toEqual([403, 'auth/forbidden'])
    expect(res.body.error.message).toContain(`lacks the scope "${scope}"`)
  }

  it('creates a key shown once, lists it without its secret, and stores only its SHA-256', async () => {
    const owner = await signInAdmin(t, 'owner')
    const before = Date.now()
    const created = await createKey(
      { name: 'ci deploys', scopes: ['db:read', 'storage:read', 'db:read'], expiresInDays: 30 },
      bearer(owner.token),
    )
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{24}$/),
      name: 'ci deploys',
      scopes: ['db:read', 'storage:read'],
      expiresAt: expect.any(String),
      createdAt: expect.any(String),
      createdBy: { type: 'admin', id: owner.id, email: owner.email },
      key: expect.stringMatching(KEY_SHAPE),
    })
    expect(KEY_SHAPE.exec(created.key)![1]).toBe(created.id)
    const expiresIn = Date.parse(created.expiresAt!) - before
    expect(expiresIn).toBeGreaterThanOrEqual(30 * 86_400_000 - 1000)
    expect(expiresIn).toBeLessThanOrEqual(30 * 86_400_000 + 60_000)

    const { key, ...shown } = created
    const view = { ...shown, lastUsedAt: null, revokedAt: null }
    const list = await api().get('/admin/v1/api-keys').set(bearer(owner.token))
    expect(list.status).toBe(200)
    expect(list.body.apiKeys[0]).toEqual(view)
    const one = await api().get(`/admin/v1/api-keys/${created.id}`).set(service())
    expect([one.status, one.body]).toEqual([200, view])
    for (const body of [list.body, one.body]) {
      expect(JSON.stringify(body)).not.toContain(secretOf(key))
    }

    // At rest: the SHA-256 of the key, and the secret nowhere in the row.
    const [row] = await t.platform.db.query('SELECT * FROM api_keys WHERE id = $1', [created.id])
    expect(row!.secret_hash).toBe(sha256(key))
    expect(JSON.stringify(row)).not.toContain(secretOf(key))

    // Audited, without the secret (the answer is not recorded; the body holds none).
    const entries = await auditEntries(t)
    expect(entries.find((e) => e.action === 'POST /admin/v1/api-keys')).toMatchObject({
      actor: { type: 'admin', id: owner.id, email: owner.email },
      after: { name: 'ci deploys', scopes: ['db:read', 'storage:read', 'db:read'], expiresInDays: 30 },
    })
    expect(JSON.stringify(entries)).not.toContain(secretOf(key))
  })

  it('a db:read key reads above the rules on /db/v1, and nothing out of its scope', async () => {
    // A collection with no rules: only the service key (and what acts like it) may read it.
    const doc = await api()
      .post('/db/v1/collections/locked/documents')
      .set(service())
      .send({ id: 'd1', data: { secret: 'plans' } })
    expect(doc.status).toBe(201)
    expect((await api().get('/db/v1/collections/locked/documents/d1')).status).toBe(403)

    const { key } = await createKey({ name: 'reader', scopes: ['db:read'] })
    const reader = bearer(key)
    const read = await api().get('/db/v1/collections/locked/documents/d1').set(reader)
    expect([read.status, read.body.data]).toEqual([200, { secret: 'plans' }])
    const listed = await api().get('/db/v1/collections/locked/documents').set(reader)
    expect(listed.body.documents.map((d: { id: string }) => d.id)).toEqual(['d1'])

    expectOutOfScope(
      await api().post('/db/v1/collections/locked/documents').set(reader).send({ data: {} }),
      'db:write',
    )
    expectOutOfScope(await api().delete('/db/v1/collections/locked/documents/d1').set(reader), 'db:write')
    expectOutOfScope(await api().get('/admin/v1/functions').set(reader), 'functions:deploy')
    expectOutOfScope(await api().get('/admin/v1/audit').set(reader), 'admin:read')
    expectOutOfScope(await api().get('/storage/v1/list/any').set(reader), 'storage:read')
    expectOutOfScope(
      await api().post('/queue/v1/jobs/messages').set(reader).send({ payload: 1 }),
      'queue:publish',
    )
    // Operations routes look at no caller: a key sent along changes nothing there.
    expect((await api().get('/health').set(reader)).status).toBe(200)
  })

  it('maps db:write, storage, queue, functions and admin:read scopes onto their route families', async () => {
    const writer = bearer((await createKey({ name: 'writer', scopes: ['db:write'] })).key)
    const put = await api()
      .put('/db/v1/collections/locked/documents/w1')
      .set(writer)
      .send({ data: { n: 1 } })
    expect(put.status, JSON.stringify(put.body)).toBeLessThan(300)
    expectOutOfScope(await api().get('/db/v1/collections/locked/documents/w1').set(writer), 'db:read')

    expect((await api().put('/admin/v1/buckets/files').set(service()).send({})).status).toBeLessThan(300)
    const uploader = bearer((await createKey({ name: 'uploader', scopes: ['storage:write'] })).key)
    const downloader = bearer((await createKey({ name: 'downloader', scopes: ['storage:read'] })).key)
    const upload = await api()
      .put('/storage/v1/object/files/a.txt')
      .set(uploader)
      .set('content-type', 'text/plain')
      .send('hello')
    expect(upload.status, JSON.stringify(upload.body)).toBe(200)
    const download = await api().get('/storage/v1/object/files/a.txt').set(downloader)
    expect([download.status, download.text]).toEqual([200, 'hello'])
    const signed = await api().post('/storage/v1/sign/files/a.txt').set(downloader).send({ expiresIn: 60 })
    expect(signed.status).toBe(200)
    expectOutOfScope(
      await api()
        .put('/storage/v1/object/files/b.txt')
        .set(downloader)
        .set('content-type', 'text/plain')
        .send('x'),
      'storage:write',
    )
    expectOutOfScope(await api().get('/storage/v1/object/files/a.txt').set(uploader), 'storage:read')

    const publisher = bearer((await createKey({ name: 'publisher', scopes: ['queue:publish'] })).key)
    expect((await api().post('/queue/v1/jobs/messages').set(publisher).send({ payload: 1 })).status).toBe(202)

    const deployerKey = await createKey({ name: 'deployer', scopes: ['functions:deploy'] })
    const deployer = bearer(deployerKey.key)
    const code = (v: number) =>
      `export default async (event) => ({ v: ${v}, uid: event.data.auth?.uid ?? null })`
    for (const v of [1, 2]) {
      const deployed = await api()
        .put('/admin/v1/functions/whoami')
        .set(deployer)
        .send({ code: code(v), triggers: [{ type: 'http' }] })
      expect(deployed.status, JSON.stringify(deployed.body)).toBe(201)
    }
    const rolled = await api().post('/admin/v1/functions/whoami/rollback').set(deployer).send({ version: 1 })
    expect(rolled.status).toBe(200)
    expect((await api().get('/admin/v1/functions/whoami').set(deployer)).status).toBe(200)
    expectOutOfScope(
      await api().put('/admin/v1/collections/locked').set(deployer).send({ rules: {} }),
      'admin',
    )
    expectOutOfScope(await api().post('/functions/v1/whoami').set(deployer), 'functions:invoke')
    // The audit log names the key that made a change.
    const entries = await auditEntries(t)
    expect(entries.find((e) => e.action === 'POST /admin/v1/functions/:name/rollback')?.actor).toEqual({
      type: 'service',
      id: `apikey:${deployerKey.id}`,
    })

    const invokerKey = await createKey({ name: 'invoker', scopes: ['functions:invoke'] })
    const invoked = await api().post('/functions/v1/whoami').set(bearer(invokerKey.key))
    expect([invoked.status, invoked.body]).toEqual([200, { v: 1, uid: `apikey:${invokerKey.id}` }])
    expect((await api().post('/functions/v1/whoami')).status).toBe(401)

    const auditor = bearer((await createKey({ name: 'auditor', scopes: ['admin:read'] })).key)
    expect((await api().get('/admin/v1/audit').set(auditor)).status).toBe(200)
    expect((await api().get('/admin/v1/functions').set(auditor)).status).toBe(200)
    expect((await api().get('/admin/v1/collections').set(auditor)).status).toBe(200)
    expectOutOfScope(await api().delete('/admin/v1/functions/whoami').set(auditor), 'functions:deploy')
    // Reads that show credentials are the owner's: never admin:read.
    expectOutOfScope(await api().get('/admin/v1/keys').set(auditor), 'admin')
    expectOutOfScope(await api().get('/admin/v1/api-keys').set(auditor), 'admin')
    expectOutOfScope(await api().get('/admin/v1/admins').set(auditor), 'admin')

    expect((await api().delete('/admin/v1/functions/whoami').set(deployer)).status).toBe(204)
  })

  it('only owners, the service key and admin-scoped keys manage keys', async () => {
    const adminKey = await createKey({ name: 'automation', scopes: ['admin'] })
    const made = await createKey({ name: 'made by a key', scopes: ['db:read'] }, bearer(adminKey.key))
    expect(made.createdBy).toEqual({ type: 'service', id: `apikey:${adminKey.id}` })
    expect((await api().delete(`/admin/v1/api-keys/${made.id}`).set(bearer(adminKey.key))).status).toBe(204)

    for (const scopes of [['admin:read'], ['functions:deploy', 'db:write', 'db:read']]) {
      const { key } = await createKey({ name: 'narrow', scopes })
      expectOutOfScope(
        await api()
          .post('/admin/v1/api-keys')
          .set(bearer(key))
          .send({ name: 'x', scopes: ['admin'] }),
        'admin',
      )
    }
    for (const role of ['viewer', 'developer']) {
      const admin = await signInAdmin(t, role)
      for (const res of [
        await api().get('/admin/v1/api-keys').set(bearer(admin.token)),
        await api().get(`/admin/v1/api-keys/${adminKey.id}`).set(bearer(admin.token)),
        await api()
          .post('/admin/v1/api-keys')
          .set(bearer(admin.token))
          .send({ name: 'x', scopes: ['db:read'] }),
        await api().delete(`/admin/v1/api-keys/${adminKey.id}`).set(bearer(admin.token)),
      ]) {
        expect([res.status, res.body.error?.code]).toEqual([403, 'auth/forbidden'])
      }
    }
    const anonymous = await api().get('/admin/v1/api-keys')
    expect([anonymous.status, anonymous.body.error.code]).toEqual([401, 'auth/unauthenticated'])
  })

  it('a revoked key gets 401 at once; revoking is idempotent and audited with the key as it was', async () => {
    const owner = await signInAdmin(t, 'owner')
    const created = await createKey({ name: 'to revoke', scopes: ['db:read'] })
    const reader = bearer(created.key)
    expect((await api().get('/db/v1/collections/locked/documents').set(reader)).status).toBe(200)

    const revoked = await api().delete(`/admin/v1/api-keys/${created.id}`).set(bearer(owner.token))
    expect(revoked.status).toBe(204)
    const refused = await api().get('/db/v1/collections/locked/documents').set(reader)
    expect([refused.status, refused.body.error.code]).toEqual([401, 'auth/unauthenticated'])
    expect(refused.body.error.message).toMatch(/revoked/)
    const adminRefused = await api().get('/admin/v1/audit').set(reader)
    expect([adminRefused.status, adminRefused.body.error.code]).toEqual([401, 'auth/unauthenticated'])

    const shown = (await api().get(`/admin/v1/api-keys/${created.id}`).set(service())).body
    expect(shown.revokedAt).toEqual(expect.any(String))
    expect((await api().delete(`/admin/v1/api-keys/${created.id}`).set(service())).status).toBe(204)
    expect((await api().get(`/admin/v1/api-keys/${created.id}`).set(service())).body.revokedAt).toBe(
      shown.revokedAt,
    )

    const entry = (await auditEntries(t)).find(
      (e) => e.action === 'DELETE /admin/v1/api-keys/:id' && e.actor.type === 'admin',
    )
    expect(entry).toMatchObject({
      actor: { id: owner.id },
      target: { id: created.id },
      before: { id: created.id, name: 'to revoke', scopes: ['db:read'], revokedAt: null },
    })
    expect(JSON.stringify(await auditEntries(t, 500))).not.toContain(secretOf(created.key))

    // Unknown, malformed and forged keys: 401 as any bad credential.
    const forged = created.key.slice(0, -4) + (created.key.endsWith('AAAA') ? 'BBBB' : 'AAAA')
    const other = `sk_${'0'.repeat(24)}_${'A'.repeat(43)}`
    for (const key of [forged, other, 'sk_nope', `${created.key}x`]) {
      const res = await api().get('/db/v1/collections/locked/documents').set(bearer(key))
      expect([res.status, res.body.error.code]).toEqual([401, 'auth/unauthenticated'])
    }
  })

  it('an expired key gets 401 auth/token-expired', async () => {
    const { key } = await createKey({
      name: 'short',
      scopes: ['db:read'],
      expiresAt: new Date(Date.now() + 1500).toISOString(),
    })
    expect((await api().get('/db/v1/collections/locked/documents').set(bearer(key))).status).toBe(200)
    const refused = await eventually(
      async () => {
        const res = await api().get('/db/v1/collections/locked/documents').set(bearer(key))
        return res.status === 401 ? res : undefined
      },
      10_000,
      'the key to expire',
    )
    expect(refused!.body.error.code).toBe('auth/token-expired')
    expect(refused!.body.error.message).toMatch(/^The API key expired at /)
  })

  it('moves lastUsedAt on first use, then at most once a minute (no write per request)', async () => {
    const created = await createKey({ name: 'busy', scopes: ['db:read'] })
    const lastUsed = async () =>
      (await api().get(`/admin/v1/api-keys/${created.id}`).set(service())).body.lastUsedAt as string | null
    expect(await lastUsed()).toBeNull()
    for (let i = 0; i < 5; i++) {
      expect((await api().get('/db/v1/collections/locked/documents').set(bearer(created.key))).status).toBe(
        200,
      )
    }
    await t.platform.apiKeys.drain()
    const first = await lastUsed()
    expect(first).toEqual(expect.any(String))
    for (let i = 0; i < 5; i++) {
      expect((await api().get('/db/v1/collections/locked/documents').set(bearer(created.key))).status).toBe(
        200,
      )
    }
    await t.platform.apiKeys.drain()
    expect(await lastUsed()).toBe(first)
  })

  it('answers bad input to every new route with a 4xx and the error envelope', async () => {
    const future = new Date(Date.now() + 86_400_000).toISOString()
    const cases: [string, () => request.Test, number, string][] = [
      ['no body', () => api().post('/admin/v1/api-keys').set(service()), 400, 'request/invalid'],
      [
        'no name',
        () =>
          api()
            .post('/admin/v1/api-keys')
            .set(service())
            .send({ scopes: ['db:read'] }),
        400,
        'request/invalid',
      ],
      [
        'blank name',
        () =>
          api()
            .post('/admin/v1/api-keys')
            .set(service())
            .send({ name: '   ', scopes: ['db:read'] }),
        400,
        'request/invalid',
      ],
      [
        'long name',
        () =>
          api()
            .post('/admin/v1/api-keys')
            .set(service())
            .send({ name: 'x'.repeat(101), scopes: ['db:read'] }),
        400,
        'request/invalid',
      ],
      [
        'no scopes',
        () => api().post('/admin/v1/api-keys').set(service()).send({ name: 'x', scopes: [] }),
        400,
        'request/invalid',
      ],
      [
        'unknown scope',
        () =>
          api()
            .post('/admin/v1/api-keys')
            .set(service())
            .send({ name: 'x', scopes: ['db:everything'] }),
        400,
        'request/invalid',
      ],
      [
        'scope not a string',
        () =>
          api()
            .post('/admin/v1/api-keys')
            .set(service())
            .send({ name: 'x', scopes: [7] }),
        400,
        'request/invalid',
      ],
      [
        'past expiry',
        () =>
          api()
            .post('/admin/v1/api-keys')
            .set(service())
            .send({ name: 'x', scopes: ['db:read'], expiresAt: '2020-01-01T00:00:00Z' }),
        400,
        'request/invalid',
      ],
      [
        'not a date',
        () =>
          api()
            .post('/admin/v1/api-keys')
            .set(service())
            .send({ name: 'x', scopes: ['db:read'], expiresAt: 'tomorrow' }),
        400,
        'request/invalid',
      ],
      [
        'both expiries',
        () =>
          api()
            .post('/admin/v1/api-keys')
            .set(service())
            .send({ name: 'x', scopes: ['db:read'], expiresAt: future, expiresInDays: 1 }),
        400,
        'request/invalid',
      ],
      [
        'zero days',
        () =>
          api()
            .post('/admin/v1/api-keys')
            .set(service())
            .send({ name: 'x', scopes: ['db:read'], expiresInDays: 0 }),
        400,
        'request/invalid',
      ],
      [
        'fractional days',
        () =>
          api()
            .post('/admin/v1/api-keys')
            .set(service())
            .send({ name: 'x', scopes: ['db:read'], expiresInDays: 1.5 }),
        400,
        'request/invalid',
      ],
      [
        'unknown field',
        () =>
          api()
            .post('/admin/v1/api-keys')
            .set(service())
            .send({ name: 'x', scopes: ['db:read'], key: 'mine' }),
        400,
        'request/invalid',
      ],
      [
        'malformed JSON',
        () =>
          api()
            .post('/admin/v1/api-keys')
            .set(service())
            .set('content-type', 'application/json')
            .send('{"name":'),
        400,
        'request/invalid',
      ],
      [
        'long id (get)',
        () =>
          api()
            .get(`/admin/v1/api-keys/${'a'.repeat(65)}`)
            .set(service()),
        400,
        'request/invalid',
      ],
      [
        'unknown id (get)',
        () => api().get('/admin/v1/api-keys/nope').set(service()),
        404,
        'auth/api-key-not-found',
      ],
      [
        'long id (delete)',
        () =>
          api()
            .delete(`/admin/v1/api-keys/${'a'.repeat(65)}`)
            .set(service()),
        400,
        'request/invalid',
      ],
      [
        'unknown id (delete)',
        () => api().delete('/admin/v1/api-keys/nope').set(service()),
        404,
        'auth/api-key-not-found',
      ],
      [
        'malformed JSON (rotate)',
        () =>
          api()
            .post('/admin/v1/keys/service/rotate')
            .set(service())
            .set('content-type', 'application/json')
            .send('{'),
        400,
        'request/invalid',
      ],
      [
        'no credentials (rotate)',
        () => api().post('/admin/v1/keys/service/rotate'),
        401,
        'auth/unauthenticated',
      ],
    ]
    for (const [what, send, status, code] of cases) {
      const res = await send()
      expect([res.status, res.body.error?.code], `${what}: ${JSON.stringify(res.body)}`).toEqual([
        status,
        code,
      ])
      expect(res.body.error.message, what).toEqual(expect.any(String))
    }
    const unknown = await api()
      .post('/admin/v1/api-keys')
      .set(service())
      .send({ name: 'x', scopes: ['db:read', 'nope'] })
    expect(unknown.body.error.message).toBe('Unknown scope "nope"')
    expect(unknown.body.error.details).toMatchObject({ field: 'scopes', unknown: ['nope'] })
  })

  it('a db:read key listens on realtime (Authorization header) above the rules; others are refused', async () => {
    const { key } = await createKey({ name: 'listener', scopes: ['db:read'] })
    const client = await RealtimeClient.connect(t.url, undefined, {
      headers: { authorization: `Bearer ${key}` },
    })
    try {
      expect((await client.subscribe({ id: 's1', collection: 'locked' })).type).toBe('subscribed')
      const write = await api()
        .put('/db/v1/collections/locked/documents/rt1')
        .set(service())
        .send({ data: { n: 1 } })
      expect(write.status).toBeLessThan(300)
      const [change] = await client.waitChanges('s1', 1)
      expect(change).toMatchObject({ event: 'created', document: { id: 'rt1', data: { n: 1 } } })
    } finally {
      client.close()
    }
    const { key: writer } = await createKey({ name: 'no reads', scopes: ['db:write'] })
    await expect(
      RealtimeClient.connect(t.url, undefined, { headers: { authorization: `Bearer ${writer}` } }),
    ).rejects.toThrow(/403/)
  })

  it('another node refuses a key revoked here within 5 s', async () => {
    // A second node's API key service on the same database: it caches what it verified.
    const otherNode = new ApiKeyService({ db: t.platform.db, logger: createLogger('silent') })
    const created = await createKey({ name: 'everywhere', scopes: ['db:read'] })
    expect((await otherNode.verify(created.key)).scopes).toEqual(['db:read'])
    expect((await api().delete(`/admin/v1/api-keys/${created.id}`).set(service())).status).toBe(204)
    const revokedAt = Date.now()
    await eventually(
      () =>
        otherNode.verify(created.key).then(
          () => false,
          () => true,
        ),
      CROSS_NODE_BOUND_MS + 3000,
      'the other node to refuse the revoked key',
    )
    expect(Date.now() - revokedAt).toBeLessThanOrEqual(CROSS_NODE_BOUND_MS + 500)
    await otherNode.drain()
  })

  // Last: it replaces the service key the other tests use.
  it('rotating the service key revokes every older one, here at once and on other nodes within 5 s', async () => {
    const owner = await signInAdmin(t, 'owner')
    const first = t.serviceKey
    // A signing-key rotation re-issues the service key but keeps the old one working.
    const signing = await api().post('/admin/v1/keys/rotate').set(service())
    expect(signing.status).toBe(200)
    const second = signing.body.service as string
    expect((await api().get('/admin/v1/audit?limit=1').set(bearer(first))).status).toBe(200)
    expect((await api().get('/admin/v1/audit?limit=1').set(bearer(second))).status).toBe(200)
    const { keys: otherNode } = await SigningKeys.open(t.platform.db)
    expect((await otherNode.verify(first)).role).toBe('service')

    const rotated = await api().post('/admin/v1/keys/service/rotate').set(bearer(owner.token))
    expect(rotated.status).toBe(200)
    expect(rotated.body).toEqual({ id: expect.any(String), service: expect.stringMatching(/^ey/) })
    const current = rotated.body.service as string
    expect(claimsOf(current)).toMatchObject({ role: 'service', sub: 'service', jti: rotated.body.id })
    const revokedAt = Date.now()
    for (const old of [first, second]) {
      const res = await api().get('/admin/v1/audit?limit=1').set(bearer(old))
      expect([res.status, res.body.error.code]).toEqual([401, 'auth/unauthenticated'])
      expect(res.body.error.message).toMatch(/revoked/)
      const data = await api().get('/db/v1/collections/locked/documents').set(bearer(old))
      expect(data.status).toBe(401)
    }
    expect((await api().get('/admin/v1/keys').set(bearer(current))).body).toEqual({ service: current })
    expect(t.platform.keys.serviceToken()).toBe(current)

    await eventually(
      () =>
        otherNode.verify(first).then(
          () => false,
          () => true,
        ),
      CROSS_NODE_BOUND_MS + 3000,
      'the other node to refuse the old service key',
    )
    expect(Date.now() - revokedAt).toBeLessThanOrEqual(CROSS_NODE_BOUND_MS + 500)
    expect((await otherNode.verify(current)).role).toBe('service')
    expect(await otherNode.currentServiceToken()).toBe(current)

    t.serviceKey = current
    const entries = await auditEntries(t)
    expect(entries.find((e) => e.action === 'POST /admin/v1/keys/service/rotate')).toMatchObject({
      actor: { type: 'admin', id: owner.id },
    })
    expect(JSON.stringify(entries)).not.toContain(current)
  })
})

// A project started before service keys carried a `jti`: its service key keeps working after the
// upgrade, until the first service-key rotation.
describe.each(DB_LANES)('service keys issued before the upgrade (%s)', (lane) => {
  it('stay valid after the migration, and a rotation revokes them', async () => {
    const test = await createTestDatabase(lane, { migrated: false })
    const db = await test.open()
    try {
      const upgrade = '20261208000000_api_keys'
      // Everything but this upgrade (migrations written since apply either way: none depends on it).
      await migrate(
        db,
        readMigrations().filter((m) => m.name !== upgrade),
      )
      // What the previous release wrote at first start: a signing key and its service JWT (no jti).
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
      const kid = randomUUID()
      const now = Math.floor(Date.now() / 1000)
      const legacy = await new SignJWT({ role: 'service' })
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
        .setSubject('service')
        .setIssuer('stratus')
        .setAudience('stratus')
        .setIssuedAt(now)
        .setExpirationTime(now + 3600)
        .sign(privateKey)
      const jwk = async (key: Parameters<typeof exportJWK>[0]) =>
        JSON.stringify({ ...(await exportJWK(key)), kid, alg: 'ES256', use: 'sig' })
      await db.query(
        'INSERT INTO signing_keys (kid, alg, private_jwk, public_jwk, service_token) VALUES ($1, $2, $3, $4, $5)',
        [kid, 'ES256', await jwk(privateKey), await jwk(publicKey), legacy],
      )
      expect(await migrate(db)).toEqual([upgrade])

      const { keys, created } = await SigningKeys.open(db)
      expect(created).toBe(false)
      expect(keys.serviceToken()).toBe(legacy)
      expect(await keys.verify(legacy)).toMatchObject({ uid: 'service', role: 'service' })
      const { service } = await keys.rotateServiceKey()
      await expect(keys.verify(legacy)).rejects.toMatchObject({ code: 'auth/unauthenticated' })
      expect(await keys.verify(service)).toMatchObject({ role: 'service' })
    } finally {
      await db.close()
      await test.cleanup()
    }
  }, 180_000)
})
