import { createClient, MemoryStore } from '@stratus/sdk'
import request from 'supertest'
import { beforeAll, describe, expect, it } from 'vitest'
import { uniqueName } from '../support/lanes.ts'
import { LANES, usePlatform } from '../support/platform.ts'
import { auditEntries, bearer, type SignedInAdmin, signInAdmin, signUpUser } from './helpers.ts'

const APP = '/admin/v1/app'
const FUNCTION_CODE = `export default async (event) => ({ auth: event.data.auth, method: event.data.method })`

// The app API for admins: the data plane mounted again under /admin/v1/app, behind the admin guard.
describe.each(LANES)('the app API for admins (%s lane)', (lane) => {
  const t = usePlatform(lane, { RATE_LIMIT_SIGNIN: '1000' })
  const api = () => request(t.url)
  const service = () => bearer(t.serviceKey)
  let viewer: SignedInAdmin
  let developer: SignedInAdmin
  // A collection and a bucket whose rules refuse everyone: only the service key or an admin gets in.
  const closed = uniqueName('closed')
  const bucket = uniqueName('files').replaceAll('_', '-')
  const fn = uniqueName('whoami').replaceAll('_', '-')

  beforeAll(async () => {
    viewer = await signInAdmin(t, 'viewer')
    developer = await signInAdmin(t, 'developer')
    const rules = { read: 'false', create: 'false', update: 'false', delete: 'false' }
    expect((await api().put(`/admin/v1/collections/${closed}`).set(service()).send({ rules })).status).toBe(
      200,
    )
    const bucketRes = await api()
      .put(`/admin/v1/buckets/${bucket}`)
      .set(service())
      .send({ rules: { read: 'false', write: 'false', delete: 'false' } })
    expect(bucketRes.status, JSON.stringify(bucketRes.body)).toBe(201)
    const seeded = await api()
      .post(`/db/v1/collections/${closed}/documents`)
      .set(service())
      .send({ id: 'seed', data: { n: 1 } })
    expect(seeded.status).toBe(201)
    const object = await api()
      .put(`/storage/v1/object/${bucket}/docs/hello.txt`)
      .set(service())
      .set('content-type', 'text/plain')
      .send('hello, admin')
    expect(object.status).toBe(200)
    const deployed = await api()
      .put(`/admin/v1/functions/${fn}`)
      .set(service())
      .send({ code: FUNCTION_CODE, triggers: [{ type: 'http' }] })
    expect(deployed.status, JSON.stringify(deployed.body)).toBe(201)
  })

  it('lets a viewer list documents and download an object, and refuses its writes and invocations', async () => {
    const list = await api().get(`${APP}/db/v1/collections/${closed}/documents`).set(bearer(viewer.token))
    expect(list.status, JSON.stringify(list.body)).toBe(200)
    expect(list.body.documents.map((d: { id: string }) => d.id)).toEqual(['seed'])
    const download = await api()
      .get(`${APP}/storage/v1/object/${bucket}/docs/hello.txt`)
      .set(bearer(viewer.token))
    expect(download.status).toBe(200)
    expect(download.text).toBe('hello, admin')
    const head = await api()
      .head(`${APP}/storage/v1/object/${bucket}/docs/hello.txt`)
      .set(bearer(viewer.token))
    expect(head.status).toBe(200)

    const refused = [
      api()
        .post(`${APP}/db/v1/collections/${closed}/documents`)
        .send({ data: { n: 2 } }),
      api().put(`${APP}/storage/v1/object/${bucket}/up.txt`).set('content-type', 'text/plain').send('x'),
      api().post(`${APP}/functions/v1/${fn}`).send({}),
      // Invoking runs the function's code, whatever the method.
      api().get(`${APP}/functions/v1/${fn}`),
      api().post(`${APP}/queue/v1/jobs/messages`).send({ payload: 1 }),
    ]
    for (const call of refused) {
      const res = await call.set(bearer(viewer.token))
      expect(res.status, JSON.stringify(res.body)).toBe(403)
      expect(res.body.error.code).toBe('auth/forbidden')
    }
    // Reads leave no audit entry; refused calls neither.
    const entries = await auditEntries(t)
    expect(entries.filter((e) => e.actor.id === viewer.id && e.action.includes('/app/'))).toEqual([])
  })

  it('lets a developer create a document the rules refuse to everyone, audited with its email', async () => {
    const res = await api()
      .post(`${APP}/db/v1/collections/${closed}/documents`)
      .set(bearer(developer.token))
      .send({ data: { title: 'by an admin' } })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    expect(res.body).toMatchObject({ collection: closed, data: { title: 'by an admin' }, version: 1 })
    // The public route still refuses an app user, of course.
    const user = await signUpUser(t)
    const denied = await api()
      .get(`/db/v1/collections/${closed}/documents/${res.body.id}`)
      .set(bearer(user.access))
    expect(denied.status).toBe(403)

    const entry = (await auditEntries(t)).find(
      (e) => e.action === `POST ${APP}/db/v1/collections/:col/documents` && e.actor.id === developer.id,
    )
    expect(entry).toMatchObject({
      actor: { type: 'admin', id: developer.id, email: developer.email },
      target: { col: closed },
      after: { data: { title: 'by an admin' } },
    })
    // No "before" read on the app API (it would download documents and objects).
    expect(entry?.before).toBeUndefined()

    const updated = await api()
      .patch(`${APP}/db/v1/collections/${closed}/documents/${res.body.id}`)
      .set(bearer(developer.token))
      .send({ data: { extra: true } })
    expect(updated.status).toBe(200)
    const patchEntry = (await auditEntries(t)).find(
      (e) => e.action === `PATCH ${APP}/db/v1/collections/:col/documents/:id`,
    )
    expect(patchEntry).toBeDefined()
    expect(patchEntry?.before).toBeUndefined()
  })

  it('streams a developer upload larger than the JSON body limit, and audits its size, not its bytes', async () => {
    const bytes = Buffer.alloc(3 * 1024 * 1024, 7)
    const res = await api()
      .put(`${APP}/storage/v1/object/${bucket}/big/blob.bin`)
      .set(bearer(developer.token))
      .set('content-type', 'application/octet-stream')
      .send(bytes)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body).toMatchObject({ bucket, key: 'big/blob.bin', size: bytes.length })
    const entry = (await auditEntries(t)).find((e) => e.action === `PUT ${APP}/storage/v1/object/:bucket/*`)
    expect(entry).toMatchObject({
      actor: { type: 'admin', email: developer.email },
      target: { bucket, '*': 'big/blob.bin' },
      after: { contentType: 'application/octet-stream', contentLength: bytes.length },
    })
    const list = await api().get(`${APP}/storage/v1/list/${bucket}?prefix=big/`).set(bearer(viewer.token))
    expect(list.body.objects.map((o: { key: string }) => o.key)).toEqual(['big/blob.bin'])
  })

  it('signs URLs that point at the public path and work with no credentials', async () => {
    const res = await api()
      .post(`${APP}/storage/v1/sign/${bucket}/docs/hello.txt`)
      .set(bearer(developer.token))
      .send({ expiresIn: 60 })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.path).toMatch(/^\/storage\/v1\/object\//)
    const download = await api().get(res.body.path)
    expect(download.status).toBe(200)
    expect(download.text).toBe('hello, admin')
  })

  it('runs a function as the admin principal, and publishes to a queue', async () => {
    const res = await api().post(`${APP}/functions/v1/${fn}`).set(bearer(developer.token)).send({ a: 1 })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.auth).toMatchObject({
      uid: `admin:${developer.id}`,
      role: 'admin',
      email: developer.email,
      claims: { admin_role: 'developer' },
    })
    const published = await api()
      .post(`${APP}/queue/v1/${uniqueName('q').replaceAll('_', '-')}/messages`)
      .set(bearer(developer.token))
      .send({ payload: { hello: 'queue' } })
    expect(published.status, JSON.stringify(published.body)).toBe(202)
  })

  it('needs the CSRF header for a write made with the console cookie', async () => {
    const path = `${APP}/db/v1/collections/${closed}/documents`
    const read = await api().get(path).set('cookie', developer.cookie)
    expect(read.status).toBe(200)
    const without = await api()
      .post(path)
      .set('cookie', developer.cookie)
      .send({ data: { via: 'cookie' } })
    expect(without.status).toBe(403)
    expect(without.body.error.code).toBe('auth/forbidden')
    const withCsrf = await api()
      .post(path)
      .set('cookie', developer.cookie)
      .set('x-csrf-token', developer.csrf)
      .send({ data: { via: 'cookie' } })
    expect(withCsrf.status, JSON.stringify(withCsrf.body)).toBe(201)
  })

  it("refuses an app user's token (403), a stranger (401), and never takes an admin role from a JWT", async () => {
    const user = await signUpUser(t)
    const res = await api().get(`${APP}/db/v1/collections/${closed}/documents`).set(bearer(user.access))
    expect(res.status).toBe(403)
    expect(res.body.error.code).toBe('auth/forbidden')
    const stranger = await api().get(`${APP}/db/v1/collections/${closed}/documents`)
    expect(stranger.status).toBe(401)
    expect(stranger.body.error.code).toBe('auth/unauthenticated')
    // A token signed with our own key that claims role admin is refused everywhere.
    const forged = await t.platform.keys.sign({ sub: 'admin:x', role: 'admin' }, 60)
    for (const path of [
      `/db/v1/collections/${closed}/documents`,
      `${APP}/db/v1/collections/${closed}/documents`,
    ]) {
      const answer = await api().get(path).set(bearer(forged))
      expect(answer.status).toBe(401)
      expect(answer.body.error.code).toBe('auth/unauthenticated')
    }
  })

  it('accepts the service key, audited as the service', async () => {
    const res = await api()
      .put(`${APP}/db/v1/collections/${closed}/documents/by-service`)
      .set(service())
      .send({ data: { by: 'service' } })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    const entry = (await auditEntries(t)).find(
      (e) => e.action === `PUT ${APP}/db/v1/collections/:col/documents/:id`,
    )
    expect(entry).toMatchObject({ actor: { type: 'service' }, target: { col: closed, id: 'by-service' } })
  })

  it('answers bad input on the app API with the public routes’ 4xx codes', async () => {
    const cases: [request.Test, number, string][] = [
      [api().get(`${APP}/db/v1/collections/${closed}/documents?limit=0`), 400, 'db/invalid-query'],
      [api().get(`${APP}/db/v1/collections/${closed}/documents/missing`), 404, 'db/not-found'],
      [api().get(`${APP}/storage/v1/object/${bucket}/missing.txt`), 404, 'storage/not-found'],
      [api().get(`${APP}/nothing/here`), 404, 'request/not-found'],
    ]
    for (const [call, status, code] of cases) {
      const res = await call.set(bearer(developer.token))
      expect(res.status, JSON.stringify(res.body)).toBe(status)
      expect(res.body.error.code).toBe(code)
    }
    const bad = await api()
      .post(`${APP}/db/v1/collections/${closed}/documents`)
      .set(bearer(developer.token))
      .set('content-type', 'application/json')
      .send('{"data":')
    expect(bad.status).toBe(400)
  })

  it('keeps the mirrored routes out of /openapi.json and describes the prefix there', async () => {
    const res = await api().get('/openapi.json')
    expect(res.status).toBe(200)
    const paths = Object.keys(res.body.paths)
    expect(paths.some((p) => p.startsWith('/db/v1/'))).toBe(true)
    expect(paths.filter((p) => p.startsWith('/admin/v1/app'))).toEqual([])
    expect(res.body.info.description).toContain('/admin/v1/app')
  })

  it('serves the SDK unchanged with the base URL <origin>/admin/v1/app', async () => {
    const sdk = createClient(`${t.url}${APP}`, {
      accessToken: developer.token,
      storage: new MemoryStore(),
    })
    try {
      const added = await sdk.db.collection(closed).add({ via: 'sdk' })
      const read = await sdk.db.collection(closed).doc(added.id).get()
      expect(read?.data).toEqual({ via: 'sdk' })
      const listed = await sdk.storage.from(bucket).list({ prefix: 'docs/' })
      expect(listed.objects.map((o) => o.key)).toEqual(['docs/hello.txt'])
      const object = await sdk.storage.from(bucket).download('docs/hello.txt')
      expect(object.text()).toBe('hello, admin')
      expect(await sdk.functions.invoke(fn, { x: 1 })).toMatchObject({ auth: { role: 'admin' } })
    } finally {
      sdk.close()
    }
  })
})
