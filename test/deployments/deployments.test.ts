import { randomBytes } from 'node:crypto'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Change, Manifest } from '../../services/deployments/manifest.ts'
import { FUNCTIONS_TEST_ENV } from '../functions/helpers.ts'
import { LANES, startTestPlatform, type TestPlatform } from '../support/platform.ts'

const CODE = 'export default async (event, ctx) => { ctx.log.info(event.type) }'

describe.each(LANES)('deployments (%s)', (lane) => {
  let t: TestPlatform
  const auth = () => ({ authorization: `Bearer ${t.serviceKey}` })
  const deploy = (body: Record<string, unknown>) =>
    request(t.url).post('/admin/v1/deployments').set(auth()).send(body)
  const plan = async (manifest: Manifest, options: Record<string, unknown> = {}) => {
    const res = await deploy({ manifest, dryRun: true, ...options })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    return res.body.changes as Change[]
  }
  const live = async () => {
    const res = await request(t.url).get('/admin/v1/deployments/live').set(auth())
    expect(res.status).toBe(200)
    return res.body as {
      manifest: Manifest
      resources: { kind: string; name: string; managed: boolean; drifted: boolean }[]
    }
  }
  const status = async (kind: string, name: string) =>
    (await live()).resources.find((r) => r.kind === kind && r.name === name)
  const putDoc = (col: string, id: string, data: Record<string, unknown>) =>
    request(t.url).put(`/db/v1/collections/${col}/documents/${id}`).set(auth()).send({ data })
  const countDocs = async (col: string) => {
    const res = await request(t.url).get(`/admin/v1/collections/${col}`).set(auth())
    return res.status === 404 ? null : (res.body.collection.documentCount as number)
  }

  beforeAll(async () => {
    t = await startTestPlatform(lane, FUNCTIONS_TEST_ENV)
  })
  afterAll(() => t?.close())

  it('creates every kind of resource, records it, and plans nothing more afterwards', async () => {
    const manifest: Manifest = {
      collections: {
        orders: {
          rules: { read: 'auth != null', create: true },
          schema: { type: 'object', properties: { status: { type: 'string' } } },
          indexes: [['status', 'asc']],
        },
      },
      buckets: { avatars: { public: false, rules: { read: 'true' }, allowedContentTypes: ['image/png'] } },
      queues: { emails: { rules: { publish: 'auth != null' } } },
      functions: {
        mailer: {
          code: CODE,
          triggers: [{ type: 'queue', queue: 'emails' }],
          env: { MODE: 'prod' },
          retries: 1,
        },
        onOrder: {
          code: CODE,
          triggers: [
            { type: 'event', event: 'db.document.created', subject: 'collections/orders/documents/*' },
          ],
        },
      },
      auth: { settings: { redirectUrls: ['https://app.example.test/*'] } },
    }
    expect(await plan(manifest)).toEqual([
      { action: 'update', kind: 'authSettings', name: 'settings', dataLoss: false, fields: ['redirectUrls'] },
      { action: 'create', kind: 'collection', name: 'orders', dataLoss: false },
      { action: 'create', kind: 'bucket', name: 'avatars', dataLoss: false },
      { action: 'create', kind: 'queue', name: 'emails', dataLoss: false },
      { action: 'create', kind: 'function', name: 'mailer', dataLoss: false },
      { action: 'create', kind: 'function', name: 'onOrder', dataLoss: false },
    ])
    // The dry run changed nothing.
    expect(await countDocs('orders')).toBeNull()
    const res = await deploy({ manifest })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    expect(res.body).toMatchObject({ id: expect.any(String), hash: expect.stringMatching(/^[0-9a-f]{64}$/) })
    expect(res.body.changes).toHaveLength(6)
    expect(await plan(manifest)).toEqual([])

    const fn = await request(t.url).get('/admin/v1/functions/mailer').set(auth())
    expect(fn.body.versions[0]).toMatchObject({ retries: 1, triggers: [{ type: 'queue', queue: 'emails' }] })
    const bucket = await request(t.url).get('/admin/v1/buckets/avatars').set(auth())
    expect(bucket.body).toMatchObject({ public: false, allowedContentTypes: ['image/png'] })

    const history = await request(t.url).get('/admin/v1/deployments').set(auth())
    expect(history.status).toBe(200)
    expect(history.body.deployments[0]).toMatchObject({
      id: res.body.id,
      deployedBy: 'service',
      rollbackOf: null,
    })
    const one = await request(t.url).get(`/admin/v1/deployments/${res.body.id}`).set(auth())
    expect(one.status).toBe(200)
    expect(one.body.manifest.functions.mailer).toMatchObject({ code: CODE, env: { MODE: '••••' } })

    const now = await live()
    expect(now.resources).toContainEqual(
      expect.objectContaining({ kind: 'function', name: 'mailer', managed: true, drifted: false }),
    )
    expect(now.manifest.functions?.mailer?.env).toEqual({ MODE: '••••' })
    // The live project posted back is the same project: pull, then plan, is empty.
    expect(await plan(now.manifest)).toEqual([])
  })

  it('renames a collection with renamedFrom, keeping every document', async () => {
    expect(
      (await deploy({ manifest: { collections: { old_items: { rules: { read: true } } } } })).status,
    ).toBe(201)
    for (const id of ['a', 'b', 'c'])
      expect((await putDoc('old_items', id, { n: id })).status).toBeLessThan(300)
    const manifest: Manifest = { collections: { items: { rules: { read: true }, renamedFrom: 'old_items' } } }
    expect(await plan(manifest)).toEqual([
      { action: 'rename', kind: 'collection', name: 'items', from: 'old_items', dataLoss: false },
    ])
    expect((await deploy({ manifest })).status).toBe(201)
    expect(await countDocs('items')).toBe(3)
    expect(await countDocs('old_items')).toBeNull()
    const doc = await request(t.url).get('/db/v1/collections/items/documents/b').set(auth())
    expect(doc.body.data).toEqual({ n: 'b' })
    // Done once: the same file plans nothing now.
    expect(await plan(manifest)).toEqual([])
  })

  it('refuses to delete data without allowDestroy (409, nothing changed), and deletes with it', async () => {
    expect((await deploy({ manifest: { collections: { doomed: {} } } })).status).toBe(201)
    expect((await putDoc('doomed', 'x', { a: 1 })).status).toBeLessThan(300)
    const { manifest } = await live()
    delete manifest.collections!.doomed
    const refused = await deploy({ manifest, prune: true })
    expect(refused.status).toBe(409)
    expect(refused.body.error.code).toBe('deployments/data-loss')
    expect(refused.body.error.details.changes).toEqual([
      { action: 'delete', kind: 'collection', name: 'doomed', dataLoss: true },
    ])
    expect(await countDocs('doomed')).toBe(1)
    const applied = await deploy({ manifest, prune: true, allowDestroy: true })
    expect(applied.status, JSON.stringify(applied.body)).toBe(201)
    expect(await countDocs('doomed')).toBeNull()
  })

  it('deletes a bucket with its objects only with allowDestroy', async () => {
    expect((await deploy({ manifest: { buckets: { scratch: {} } } })).status).toBe(201)
    const put = await request(t.url)
      .put('/storage/v1/object/scratch/a/b.txt')
      .set(auth())
      .set('content-type', 'text/plain')
      .send('hello')
    expect(put.status, JSON.stringify(put.body)).toBeLessThan(300)
    const { manifest } = await live()
    delete manifest.buckets!.scratch
    expect(await plan(manifest, { prune: true })).toEqual([
      { action: 'delete', kind: 'bucket', name: 'scratch', dataLoss: true },
    ])
    expect((await deploy({ manifest, prune: true })).status).toBe(409)
    expect((await request(t.url).get('/storage/v1/object/scratch/a/b.txt').set(auth())).status).toBe(200)
    expect((await deploy({ manifest, prune: true, allowDestroy: true })).status).toBe(201)
    expect((await request(t.url).get('/admin/v1/buckets/scratch').set(auth())).status).toBe(404)
    // Deleted by a deployment: no longer listed as managed.
    expect(await status('bucket', 'scratch')).toBeUndefined()
  })

  it('keeps what the manifest does not name, unless prune', async () => {
    expect((await deploy({ manifest: { queues: { spare: {} } } })).status).toBe(201)
    const { manifest } = await live()
    delete manifest.queues!.spare
    expect(await plan(manifest)).toEqual([])
    expect(await plan(manifest, { prune: true })).toEqual([
      { action: 'delete', kind: 'queue', name: 'spare', dataLoss: false },
    ])
    expect((await deploy({ manifest, prune: true })).status).toBe(201)
    const queues = await request(t.url).get('/admin/v1/queues').set(auth())
    expect(queues.body.queues.map((q: { name: string }) => q.name)).not.toContain('spare')
  })

  it('never deletes a protected resource, even with allowDestroy and prune', async () => {
    expect((await deploy({ manifest: { buckets: { vault: { protect: true } } } })).status).toBe(201)
    const { manifest } = await live()
    expect(manifest.buckets?.vault?.protect).toBe(true)
    delete manifest.buckets!.vault
    const res = await deploy({ manifest, prune: true, allowDestroy: true })
    expect(res.status).toBe(409)
    expect(res.body.error.code).toBe('deployments/protected')
    expect(res.body.error.details.changes).toEqual([
      { action: 'delete', kind: 'bucket', name: 'vault', dataLoss: false },
    ])
    expect((await request(t.url).get('/admin/v1/buckets/vault').set(auth())).status).toBe(200)
  })

  it('refuses an invalid manifest with the path of every problem', async () => {
    const res = await deploy({
      manifest: {
        collections: { c: { rulez: {} }, 'bad name': {} },
        functions: { f: { source: 'f.ts', triggers: [] } },
        buckets: { b: { renamedFrom: 'a' } },
      },
    })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('deployments/invalid-manifest')
    const paths = res.body.error.details.errors.map((e: { path: string }) => e.path)
    expect(paths).toEqual(
      expect.arrayContaining([
        'collections.c.rulez',
        'collections.bad name',
        'functions.f',
        'functions.f.source',
      ]),
    )
    // Checks the services make: a rule that does not compile, a bucket rename.
    const checked = await deploy({
      manifest: { collections: { c: { rules: { read: 'auth. ==' } } }, buckets: { b: { renamedFrom: 'a' } } },
    })
    expect(checked.status).toBe(400)
    expect(checked.body.error.details.errors.map((e: { path: string }) => e.path)).toEqual([
      'collections.c.rules.read',
      'buckets.b.renamedFrom',
    ])
  })

  it('refuses a trigger that can never fire, suggesting the pattern that would', async () => {
    const res = await deploy({
      manifest: {
        collections: { posts: {} },
        functions: {
          f: {
            code: CODE,
            triggers: [{ type: 'event', event: 'db.document.created', subject: 'collections/posts/*' }],
          },
        },
      },
    })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('functions/invalid-trigger')
    expect(res.body.error.details).toMatchObject({
      path: 'functions.f.triggers.0',
      suggestion: 'collections/posts/documents/*',
    })
    expect(await countDocs('posts')).toBeNull()
  })

  it('refuses triggers naming a queue or collection that will not exist', async () => {
    const res = await deploy({
      manifest: {
        functions: {
          f: {
            code: CODE,
            triggers: [
              { type: 'queue', queue: 'nowhere' },
              { type: 'event', event: 'db.document.created', subject: 'collections/ghosts/documents/*' },
            ],
          },
        },
      },
    })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('deployments/invalid-manifest')
    expect(res.body.error.details.errors.map((e: { path: string }) => e.path)).toEqual([
      'functions.f.triggers.0.queue',
      'functions.f.triggers.1.subject',
    ])
    // Created by the same manifest: accepted.
    const ok = await deploy({
      manifest: { queues: { nowhere: {} }, collections: { ghosts: {} } },
      dryRun: true,
    })
    expect(ok.status).toBe(200)
  })

  it('applies nothing when a later resource fails (all or nothing)', async () => {
    const res = await deploy({
      manifest: {
        buckets: { first_bucket: {} },
        collections: { first_col: {} },
        functions: { broken: { code: 'export default async () => { this is not javascript', triggers: [] } },
      },
    })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('functions/invalid-code')
    expect(res.body.error.details.path).toBe('functions.broken.code')
    expect((await request(t.url).get('/admin/v1/buckets/first_bucket').set(auth())).status).toBe(404)
    expect(await countDocs('first_col')).toBeNull()
    expect((await request(t.url).get('/admin/v1/functions/broken').set(auth())).status).toBe(404)
  })

  it('undoes the steps already applied when a later one fails while applying', async () => {
    // An index on a field too large for a btree entry passes every check and fails only when built.
    expect(
      (await putDoc('bulky', 'x', { blob: randomBytes(12_000).toString('base64') })).status,
    ).toBeLessThan(300)
    const res = await deploy({
      manifest: {
        auth: { settings: { redirectUrls: ['https://undo.example.test/*'] } },
        collections: { aaa_first: { rules: { read: true } }, bulky: { indexes: [['blob', 'asc']] } },
      },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(409)
    expect(res.body.error.code).toBe('deployments/apply-failed')
    expect(res.body.error.details.change).toMatchObject({
      action: 'update',
      kind: 'collection',
      name: 'bulky',
    })
    expect(await countDocs('aaa_first')).toBeNull()
    const settings = await request(t.url).get('/admin/v1/auth/settings').set(auth())
    expect(settings.body.redirectUrls).not.toContain('https://undo.example.test/*')
    expect(await countDocs('bulky')).toBe(1)
  })

  it('rolls back to an earlier deployment, recorded as a new one', async () => {
    const v1 = await deploy({ manifest: { queues: { jobs: { rules: { publish: false } } } } })
    expect(v1.status).toBe(201)
    const v2 = await deploy({ manifest: { queues: { jobs: { rules: { publish: true } } } } })
    expect(v2.body.changes).toEqual([
      { action: 'update', kind: 'queue', name: 'jobs', dataLoss: false, fields: ['rules'] },
    ])
    const back = await request(t.url)
      .post(`/admin/v1/deployments/${v1.body.id}/rollback`)
      .set(auth())
      .send({})
    expect(back.status, JSON.stringify(back.body)).toBe(201)
    expect(back.body.changes).toEqual([
      { action: 'update', kind: 'queue', name: 'jobs', dataLoss: false, fields: ['rules'] },
    ])
    expect((await live()).manifest.queues?.jobs).toEqual({ rules: { publish: false } })
    const history = await request(t.url).get('/admin/v1/deployments?limit=1').set(auth())
    expect(history.body.deployments[0]).toMatchObject({ id: back.body.id, rollbackOf: v1.body.id })
    expect(history.body.nextCursor).toEqual(expect.any(String))
    const next = await request(t.url)
      .get(`/admin/v1/deployments?limit=1&cursor=${history.body.nextCursor}`)
      .set(auth())
    expect(next.body.deployments[0].id).toBe(v2.body.id)
  })

  it('marks a managed resource drifted after a change outside a deployment, until the next deployment', async () => {
    const manifest: Manifest = { collections: { drifty: { rules: { read: true } } } }
    expect((await deploy({ manifest })).status).toBe(201)
    expect(await status('collection', 'drifty')).toMatchObject({ managed: true, drifted: false })
    const edit = await request(t.url)
      .put('/admin/v1/collections/drifty')
      .set(auth())
      .send({ rules: { read: false } })
    expect(edit.status).toBe(200)
    expect(await status('collection', 'drifty')).toMatchObject({ managed: true, drifted: true })
    expect(await plan(manifest)).toEqual([
      { action: 'update', kind: 'collection', name: 'drifty', dataLoss: false, fields: ['rules'] },
    ])
    expect((await deploy({ manifest })).status).toBe(201)
    expect(await status('collection', 'drifty')).toMatchObject({ managed: true, drifted: false })
    // Made outside any deployment: not managed at all.
    await request(t.url).put('/admin/v1/queues/handmade').set(auth()).send({})
    expect(await status('queue', 'handmade')).toMatchObject({ managed: false, drifted: false })
    // Deleted outside a deployment: still listed, drifted.
    expect((await deploy({ manifest: { buckets: { shortlived: {} } } })).status).toBe(201)
    expect((await request(t.url).delete('/admin/v1/buckets/shortlived').set(auth())).status).toBe(204)
    expect(await status('bucket', 'shortlived')).toMatchObject({ managed: true, drifted: true })
  })

  it.each([
    ['POST /deployments without a manifest', 'post', '/admin/v1/deployments', {}, 400],
    [
      'POST /deployments with a manifest that is not an object',
      'post',
      '/admin/v1/deployments',
      { manifest: 3 },
      400,
    ],
    [
      'POST /deployments with an unknown option',
      'post',
      '/admin/v1/deployments',
      { manifest: {}, force: true },
      400,
    ],
    ['GET /deployments with a bad limit', 'get', '/admin/v1/deployments?limit=0', undefined, 400],
    ['GET /deployments with a bad cursor', 'get', '/admin/v1/deployments?cursor=nope', undefined, 400],
    [
      'GET an unknown deployment',
      'get',
      '/admin/v1/deployments/0190a0a0-0000-7000-8000-000000000000',
      undefined,
      404,
    ],
    ['GET a malformed deployment id', 'get', '/admin/v1/deployments/nope', undefined, 404],
    ['rollback of an unknown deployment', 'post', '/admin/v1/deployments/nope/rollback', {}, 404],
    ['rollback with an unknown option', 'post', '/admin/v1/deployments/nope/rollback', { force: 1 }, 400],
  ] as const)('answers %s with a 4xx and a code', async (_label, method, url, body, expected) => {
    const call = request(t.url)[method](url).set(auth())
    const res = body === undefined ? await call : await call.send(body)
    expect(res.status).toBe(expected)
    expect(res.body.error.code).toEqual(expect.any(String))
  })

  it('needs credentials', async () => {
    const res = await request(t.url).get('/admin/v1/deployments')
    expect(res.status).toBe(401)
  })
})
