import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FUNCTIONS_TEST_ENV } from '../functions/helpers.ts'
import { type StorageHarness, startStorage } from '../storage/helpers.ts'
import { eventually } from '../support/lanes.ts'
import { LANES } from '../support/platform.ts'
import { admin, client, failure, SDK_TEST_ENV, serviceClient, unique } from './helpers.ts'

describe.each(LANES)('SDK storage, functions and queues (%s)', (lane) => {
  let h: StorageHarness

  beforeAll(async () => {
    // The real lane stores objects in S3 (a local S3 server), as production would.
    h = await startStorage(lane, { ...SDK_TEST_ENV, ...FUNCTIONS_TEST_ENV })
  })
  afterAll(async () => {
    await h?.close()
  })

  async function bucket(settings: Record<string, unknown> = {}): Promise<string> {
    const name = unique('bkt').toLowerCase()
    await admin(h.t, 'PUT', `/admin/v1/buckets/${name}`, {
      rules: { read: 'true', write: 'true', delete: 'true' },
      ...settings,
    })
    return name
  }

  it('uploads every body kind, downloads, lists, signs and removes objects', async () => {
    const files = client(h.t).storage.from(await bucket())
    const bytes = new Uint8Array([0, 1, 2, 253, 254, 255])
    const put = await files.upload('raw/bytes.bin', bytes, { metadata: { Owner: 'ada' } })
    expect(put).toMatchObject({ key: 'raw/bytes.bin', size: 6, contentType: 'application/octet-stream' })
    expect(put.metadata).toEqual({ owner: 'ada' })
    await files.upload('docs/a note.txt', 'héllo wörld')
    await files.upload(
      'docs/data.json',
      new Blob([JSON.stringify({ ok: true })], { type: 'application/json' }),
    )
    const chunks = ['streamed ', 'in ', 'pieces']
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift()
        if (next === undefined) controller.close()
        else controller.enqueue(new TextEncoder().encode(next))
      },
    })
    expect((await files.upload('docs/stream.txt', stream, { contentType: 'text/plain' })).size).toBe(18)

    const downloaded = await files.download('raw/bytes.bin')
    expect([...downloaded.data]).toEqual([...bytes])
    expect(downloaded.size).toBe(6)
    expect((await files.download('docs/a note.txt')).text()).toBe('héllo wörld')
    const json = await files.download('docs/data.json')
    expect([json.contentType, json.json()]).toEqual(['application/json', { ok: true }])
    expect((await files.download('docs/stream.txt')).text()).toBe('streamed in pieces')
    const ranged = await files.stream('docs/stream.txt', { range: 'bytes=0-7' })
    expect([ranged.status, await ranged.text()]).toEqual([206, 'streamed'])

    const page = await files.list({ prefix: 'docs/', limit: 2 })
    expect(page.objects.map((o) => o.key)).toEqual(['docs/a note.txt', 'docs/data.json'])
    const rest = await files.list({ prefix: 'docs/', limit: 2, cursor: page.nextCursor })
    expect([rest.objects.map((o) => o.key), rest.nextCursor]).toEqual([['docs/stream.txt'], null])

    await files.remove('docs/a note.txt')
    const missing = await failure(files.download('docs/a note.txt'))
    expect([missing.code, missing.status]).toEqual(['storage/not-found', 404])
  })

  it('surfaces storage limits and rules as StratusError codes', async () => {
    const small = client(h.t).storage.from(await bucket({ maxFileSize: 10 }))
    const tooLarge = await failure(small.upload('big.bin', new Uint8Array(11)))
    expect([tooLarge.code, tooLarge.status]).toEqual(['storage/too-large', 413])

    const name = unique('priv').toLowerCase()
    await admin(h.t, 'PUT', `/admin/v1/buckets/${name}`, {
      rules: { read: 'auth != null', write: 'auth != null' },
    })
    const denied = await failure(client(h.t).storage.from(name).upload('x.txt', 'x'))
    expect(denied.status).toBeGreaterThanOrEqual(401)
    expect(denied.status).toBeLessThanOrEqual(403)
    const owner = serviceClient(h.t).storage.from(name)
    expect((await owner.upload('x.txt', 'secret')).size).toBe(6)

    // A signed URL reads the private object with no other credentials; altered, it is refused.
    const url = await owner.createSignedUrl('x.txt', 60)
    const signed = await fetch(url)
    expect([signed.status, await signed.text()]).toEqual([200, 'secret'])
    const tampered = await fetch(url.replace(/signature=[^&]+/, 'signature=forged'))
    expect([tampered.status, ((await tampered.json()) as { error: { code: string } }).error.code]).toEqual([
      403,
      'storage/invalid-signature',
    ])
  })

  it('invokes http functions and reports their failures by code', async () => {
    const name = unique('fn')
    await admin(h.t, 'PUT', `/admin/v1/functions/${name}`, {
      code: `export default async (event) => {
        const d = event.data
        if (d.body && d.body.fail) throw new Error('asked to fail')
        if (d.path.endsWith('/teapot')) return { status: 418, headers: { 'x-kind': 'tea' }, body: { short: true } }
        return { method: d.method, path: d.path, body: d.body, who: d.auth ? d.auth.uid : null, hdr: d.headers['x-demo'] || null }
      }`,
      triggers: [{ type: 'http', public: true }],
    })
    const app = client(h.t)
    expect(
      await app.functions.invoke(name, { hello: 'world' }, { headers: { 'x-demo': 'yes' } }),
    ).toMatchObject({
      method: 'POST',
      body: { hello: 'world' },
      who: null,
      hdr: 'yes',
    })
    const { user } = await app.auth.signInAnonymously()
    expect(await app.functions.invoke(name, undefined, { method: 'GET' })).toMatchObject({
      method: 'GET',
      who: user.id,
    })
    const sub = await app.functions.invoke<{ path: string }>(`${name}/items/42`, {})
    expect(sub.path).toContain('/items/42')

    const teapot = await failure(app.functions.invoke(`${name}/teapot`))
    expect([teapot.code, teapot.status, teapot.details]).toEqual([
      'functions/http-error',
      418,
      { body: { short: true } },
    ])
    const failed = await failure(app.functions.invoke(name, { fail: true }))
    expect([failed.code, failed.status]).toEqual(['functions/failed', 500])
    const missing = await failure(app.functions.invoke(unique('nope')))
    expect([missing.code, missing.status]).toEqual(['functions/not-found', 404])
    app.close()
  })

  it('publishes queue messages that reach a queue-triggered function', async () => {
    const queue = unique('q')
    const target = unique('seen')
    await admin(h.t, 'PUT', `/admin/v1/collections/${target}`, { rules: { read: 'true' } })
    await admin(h.t, 'PUT', `/admin/v1/functions/${unique('consumer')}`, {
      code: `export default async (event, ctx) => {
        await ctx.db.collection(${JSON.stringify(target)}).doc(event.data.payload.key).set({ got: event.data.payload.key })
      }`,
      triggers: [{ type: 'queue', queue }],
    })
    const service = serviceClient(h.t)
    const first = await service.queue.publish(queue, { key: 'k1' })
    expect(first.id).toEqual(expect.any(String))
    await service.queue.publish(queue, { key: 'k2' }, { delayMs: 50, dedupId: 'only-once' })
    await service.queue.publish(queue, { key: 'k3' }, { dedupId: 'only-once' })

    const anon = await failure(client(h.t).queue.publish(queue, { key: 'x' }))
    expect([anon.code, anon.status]).toEqual(['auth/unauthenticated', 401])
    const bad = await failure(service.queue.publish(queue, { key: 'x' }, { delayMs: -1 }))
    expect(bad.status).toBe(400)

    const reader = client(h.t).db.collection(target)
    await eventually(async () => (await reader.get()).docs.length === 2, 15_000, 'two messages consumed')
    expect((await reader.get()).docs.map((d) => d.id).sort()).toEqual(['k1', 'k2'])
  })
})
