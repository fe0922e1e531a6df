import { randomBytes } from 'node:crypto'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Change, Manifest } from '../../services/deployments/manifest.ts'
import { auditEntries, bearer, signInAdmin } from '../admin/helpers.ts'
import { FUNCTIONS_TEST_ENV, publish } from '../functions/helpers.ts'
import { LANES, startTestPlatform, type TestPlatform } from '../support/platform.ts'

// Deployments and what they reach besides collections: providers and their secrets, function renames
// with masked env values, queues holding messages, and who may deploy what.

const ENV_CODE = 'export default async (event, ctx) => ({ status: 200, body: { token: ctx.env.TOKEN } })'

describe.each(LANES)('deployments of every resource kind (%s)', (lane) => {
  let t: TestPlatform
  const service = () => bearer(t.serviceKey)
  const deploy = (body: Record<string, unknown>, auth = service()) =>
    request(t.url).post('/admin/v1/deployments').set(auth).send(body)
  const plan = async (manifest: Manifest, options: Record<string, unknown> = {}) => {
    const res = await deploy({ manifest, dryRun: true, ...options })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    return res.body.changes as Change[]
  }
  const live = async () => {
    const res = await request(t.url).get('/admin/v1/deployments/live').set(service())
    expect(res.status).toBe(200)
    return res.body as { manifest: Manifest; resources: { kind: string; name: string; drifted: boolean }[] }
  }

  beforeAll(async () => {
    // The embedded lane keeps a generated key in its data directory; a server on Postgres needs one set.
    t = await startTestPlatform(lane, {
      ...FUNCTIONS_TEST_ENV,
      ...(lane === 'real' ? { AUTH_ENCRYPTION_KEY: randomBytes(32).toString('base64') } : {}),
    })
  })
  afterAll(() => t?.close())

  it('deploys a provider, never shows its secret, and keeps it when the manifest masks it', async () => {
    const provider = { preset: 'github' as const, clientId: 'id-1', clientSecret: 'first-secret' }
    const created = await deploy({ manifest: { auth: { providers: { gh: provider } } } })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    expect(created.body.changes).toEqual([
      { action: 'create', kind: 'authProvider', name: 'gh', dataLoss: false },
    ])
    const { manifest } = await live()
    expect(manifest.auth?.providers?.gh).toMatchObject({
      preset: 'github',
      clientId: 'id-1',
      clientSecret: '••••',
    })
    expect(JSON.stringify(await live())).not.toContain('first-secret')
    const recorded = await request(t.url).get(`/admin/v1/deployments/${created.body.id}`).set(service())
    expect(JSON.stringify(recorded.body)).not.toContain('first-secret')
    expect(await plan({ auth: { providers: { gh: { ...provider, clientSecret: '••••' } } } })).toEqual([])
    expect(await plan({ auth: { providers: { gh: { ...provider, clientSecret: 'second' } } } })).toEqual([
      { action: 'update', kind: 'authProvider', name: 'gh', dataLoss: false, fields: ['clientSecret'] },
    ])
    // Deleting a provider loses its users' way in: data loss.
    const { manifest: all } = await live()
    delete all.auth!.providers!.gh
    expect(await plan(all, { prune: true })).toContainEqual({
      action: 'delete',
      kind: 'authProvider',
      name: 'gh',
      dataLoss: true,
    })
  })

  it('renames a function, keeping its masked env values from the old name', async () => {
    const first = await deploy({
      manifest: {
        functions: { old_fn: { code: ENV_CODE, triggers: [{ type: 'http' }], env: { TOKEN: 'tok-1' } } },
      },
    })
    expect(first.status, JSON.stringify(first.body)).toBe(201)
    const renamed = await deploy({
      manifest: {
        functions: {
          new_fn: {
            code: ENV_CODE,
            triggers: [{ type: 'http' }],
            env: { TOKEN: '••••' },
            renamedFrom: 'old_fn',
          },
        },
      },
    })
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(201)
    expect(renamed.body.changes).toEqual([
      { action: 'rename', kind: 'function', name: 'new_fn', from: 'old_fn', dataLoss: false },
    ])
    expect((await request(t.url).get('/admin/v1/functions/old_fn').set(service())).status).toBe(404)
    const invoked = await request(t.url).post('/functions/v1/new_fn').set(service()).send({})
    expect(invoked.status, JSON.stringify(invoked.body)).toBe(200)
    expect(invoked.body).toEqual({ token: 'tok-1' })
    // A masked value with nothing live to keep is refused with its path.
    const unknown = await deploy({
      manifest: { functions: { other: { code: ENV_CODE, triggers: [], env: { NOPE: '••••' } } } },
    })
    expect(unknown.status).toBe(400)
    expect(unknown.body.error.details.errors).toEqual([
      { path: 'functions.other.env.NOPE', message: expect.any(String) },
    ])
  })

  it('counts a queue holding messages as data to lose', async () => {
    expect((await deploy({ manifest: { queues: { backlog: {}, idle: {} } } })).status).toBe(201)
    await publish(t, 'backlog', { payload: { n: 1 } })
    const { manifest } = await live()
    delete manifest.queues!.backlog
    delete manifest.queues!.idle
    const changes = await plan(manifest, { prune: true })
    expect(changes).toContainEqual({ action: 'delete', kind: 'queue', name: 'backlog', dataLoss: true })
    expect(changes).toContainEqual({ action: 'delete', kind: 'queue', name: 'idle', dataLoss: false })
  })

  it('marks a function drifted after a deploy through PUT /admin/v1/functions', async () => {
    const fn = { code: ENV_CODE, triggers: [{ type: 'http' as const }] }
    expect((await deploy({ manifest: { functions: { drift_fn: fn } } })).status).toBe(201)
    const put = await request(t.url)
      .put('/admin/v1/functions/drift_fn')
      .set(service())
      .send({ ...fn, retries: 5 })
    expect(put.status).toBe(201)
    const resource = (await live()).resources.find((r) => r.kind === 'function' && r.name === 'drift_fn')
    expect(resource).toMatchObject({ drifted: true })
    expect(await plan({ functions: { drift_fn: fn } })).toEqual([
      { action: 'update', kind: 'function', name: 'drift_fn', dataLoss: false, fields: ['retries'] },
    ])
  })

  it('records who deployed, audits it, and keeps providers to owners', async () => {
    const key = await request(t.url)
      .post('/admin/v1/api-keys')
      .set(service())
      .send({ name: 'ci', scopes: ['functions:deploy'] })
    expect(key.status, JSON.stringify(key.body)).toBe(201)
    // functions:deploy deploys functions; a manifest is no way round rules, buckets, queues or auth.
    const beyond = await deploy({ manifest: { collections: { by_key: {} } } }, bearer(key.body.key))
    expect([beyond.status, beyond.body.error?.code]).toEqual([403, 'auth/forbidden'])
    expect(
      (await request(t.url).get('/admin/v1/collections/by_key').set(service())).body.collection?.configured,
    ).not.toBe(true)
    const fn = { code: ENV_CODE, triggers: [{ type: 'http' as const }] }
    const byKey = await deploy({ manifest: { functions: { by_key_fn: fn } } }, bearer(key.body.key))
    expect(byKey.status, JSON.stringify(byKey.body)).toBe(201)
    const entries = await auditEntries(t)
    expect(entries.find((e) => e.action === 'POST /admin/v1/deployments')?.actor).toEqual({
      type: 'service',
      id: `apikey:${key.body.id}`,
    })
    const providers = { auth: { providers: { dev: { preset: 'google', clientId: 'x', clientSecret: 'y' } } } }
    const keyed = await deploy({ manifest: providers }, bearer(key.body.key))
    expect(keyed.status).toBe(403)
    const adminKey = await request(t.url)
      .post('/admin/v1/api-keys')
      .set(service())
      .send({ name: 'ops', scopes: ['admin'] })
    const byAdminKey = await deploy(
      { manifest: { collections: { by_admin_key: {} } } },
      bearer(adminKey.body.key),
    )
    expect(byAdminKey.status, JSON.stringify(byAdminKey.body)).toBe(201)

    const developer = await signInAdmin(t, 'developer')
    const byDev = await deploy({ manifest: { collections: { by_dev: {} } } }, bearer(developer.token))
    expect(byDev.status, JSON.stringify(byDev.body)).toBe(201)
    const refused = await deploy({ manifest: providers }, bearer(developer.token))
    expect(refused.status).toBe(403)
    expect(refused.body.error.code).toBe('auth/forbidden')
    expect((await request(t.url).get('/admin/v1/auth/providers/dev').set(service())).status).toBe(404)

    const history = await request(t.url).get('/admin/v1/deployments?limit=5').set(service())
    const who = history.body.deployments.map((d: { deployedBy: string }) => d.deployedBy)
    expect(who.slice(0, 3)).toEqual([developer.email, `apikey:${adminKey.body.id}`, `apikey:${key.body.id}`])
  })
})
