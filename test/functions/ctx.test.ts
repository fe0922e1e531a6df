import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LANES, startTestPlatform, type TestPlatform } from '../support/platform.ts'
import { deploy, FUNCTIONS_TEST_ENV, service, waitForExecutions } from './helpers.ts'

describe.each(LANES)('functions: ctx.db, ctx.storage, ctx.queue with the service role (%s)', (lane) => {
  let t: TestPlatform
  beforeAll(async () => {
    t = await startTestPlatform(lane, FUNCTIONS_TEST_ENV)
  })
  afterAll(() => t?.close())

  it('ctx.db has the SDK surface and the service role (no rules needed)', async () => {
    await deploy(t, 'dbfn', {
      code: `export default async (event, ctx) => {
        const notes = ctx.db.collection('notes')
        const added = await notes.add({ n: 1, tag: 'a' })
        const set = await notes.doc('fixed').set({ n: 2, tag: 'b' })
        const updated = await notes.doc('fixed').update({ extra: true }, { ifVersion: 1 })
        let stale
        try { await notes.doc('fixed').update({ x: 1 }, { ifVersion: 1 }) } catch (e) { stale = [e.name, e.code, e.status] }
        const got = await notes.doc('fixed').get()
        const missing = await notes.doc('nope').get()
        const page = await notes.where('n', '>=', 1).orderBy('n', 'desc').limit(1).get()
        const next = await notes.where('n', '>=', 1).orderBy('n', 'desc').limit(1).startAfter(page.nextCursor).get()
        await notes.doc(added.id).delete()
        const afterDelete = await notes.doc(added.id).get()
        let invalid
        try { await notes.where('n', 'like', 1).get() } catch (e) { invalid = e.code }
        return { added, set, updated, stale, got, missing, first: page.docs.map((d) => d.id), next: next.docs.map((d) => d.id), afterDelete, invalid }
      }`,
      triggers: [{ type: 'http', public: true }],
    })
    const res = await request(t.url).post('/functions/v1/dbfn')
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    const r = res.body
    expect(r.added).toMatchObject({ collection: 'notes', data: { n: 1, tag: 'a' }, version: 1 })
    expect(r.set).toMatchObject({ id: 'fixed', version: 1 })
    expect(r.updated).toMatchObject({ id: 'fixed', version: 2, data: { n: 2, tag: 'b', extra: true } })
    expect(r.stale).toEqual(['StratusError', 'db/version-mismatch', 412])
    expect(r.got).toMatchObject({ id: 'fixed', version: 2 })
    expect(r.missing).toBeNull()
    expect(r.first).toEqual(['fixed'])
    expect(r.next).toEqual([r.added.id])
    expect(r.afterDelete).toBeNull()
    expect(r.invalid).toBe('db/invalid-query')
    // The writes are the platform's own: visible through the public API, with their events.
    const doc = await request(t.url).get('/db/v1/collections/notes/documents/fixed').set(service(t))
    expect(doc.body.data).toEqual({ n: 2, tag: 'b', extra: true })
  })

  it('ctx.storage uploads, downloads, lists and removes objects', async () => {
    const bucket = await request(t.url).put('/admin/v1/buckets/files').set(service(t)).send({})
    expect(bucket.status, JSON.stringify(bucket.body)).toBeLessThan(300)
    await deploy(t, 'files', {
      code: `export default async (event, ctx) => {
        const b = ctx.storage.from('files')
        const up = await b.upload('dir/hello.txt', 'héllo wörld', { contentType: 'text/plain', metadata: { by: 'fn' } })
        const bin = await b.upload('dir/bytes.bin', new Uint8Array([0, 1, 2, 255]))
        const text = await b.download('dir/hello.txt')
        const bytes = await b.download('dir/bytes.bin')
        const listed = await b.list({ prefix: 'dir/' })
        await b.remove('dir/bytes.bin')
        let missing
        try { await b.download('dir/bytes.bin') } catch (e) { missing = e.code }
        return { up, binSize: bin.size, text: text.text(), contentType: text.contentType, bytes: Array.from(bytes.data), keys: listed.objects.map((o) => o.key), missing }
      }`,
      triggers: [{ type: 'http', public: true }],
    })
    const res = await request(t.url).post('/functions/v1/files')
    const failure = res.status === 200 ? '' : JSON.stringify(await waitForExecutions(t, 'files', 1))
    expect(res.status, failure).toBe(200)
    expect(res.body).toMatchObject({
      up: {
        bucket: 'files',
        key: 'dir/hello.txt',
        contentType: expect.stringMatching(/^text\/plain/),
        metadata: { by: 'fn' },
      },
      binSize: 4,
      text: 'héllo wörld',
      bytes: [0, 1, 2, 255],
      keys: ['dir/bytes.bin', 'dir/hello.txt'],
      missing: 'storage/not-found',
    })
    const direct = await request(t.url).get('/storage/v1/object/files/dir/hello.txt').set(service(t))
    expect(direct.text).toBe('héllo wörld')
  })

  it('ctx clients cannot reach admin, auth or other functions', async () => {
    await deploy(t, 'sneaky', {
      code: `export default async (event, ctx) => {
        const out = []
        for (const name of ['../../admin/v1/functions', '..%2F..%2Fadmin']) {
          try { await ctx.db.collection(name).doc('x').get(); out.push('reached') } catch (e) { out.push(e.code) }
        }
        try { await ctx.storage.from('files').download('../../../admin/v1/functions'); out.push('reached') } catch (e) { out.push(e.code) }
        return out
      }`,
      triggers: [{ type: 'http', public: true }],
    })
    const res = await request(t.url).post('/functions/v1/sneaky')
    expect(res.status).toBe(200)
    expect(res.body).not.toContain('reached')
  })
})
