import { createHash } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import path from 'node:path'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../support/lanes.ts'
import { LANES } from '../support/platform.ts'
import { generated } from './driver-contract.ts'
import {
  bearer,
  binary,
  bucketName,
  objectEvents,
  objectPath,
  type StorageHarness,
  startStorage,
  streamUpload,
} from './helpers.ts'

// Limits and failure paths: nothing partial may be left behind (no bytes, no metadata, no event).
describe.each(LANES)('storage limits and failures (%s lane)', (lane) => {
  let h: StorageHarness
  let key: Record<string, string>
  beforeAll(async () => {
    h = await startStorage(lane)
    key = bearer(h.t.serviceKey)
  })
  afterAll(async () => {
    await h?.close()
  })
  const api = () => request(h.t.url)

  async function newBucket(body: object = {}): Promise<string> {
    const name = bucketName('lim')
    const res = await h.admin.putBucket(name, body)
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    return name
  }

  /** Asserts that nothing of `bucket` exists anywhere: bytes, temp files, uploads, metadata, events. */
  async function expectNothingLeft(bucket: string, objectKey: string): Promise<void> {
    await eventually(
      async () => {
        const blobs: string[] = []
        for await (const p of h.t.platform.storage.storage.list(`${bucket}/`)) blobs.push(p)
        const rows = await h.t.platform.db.query('SELECT 1 FROM storage_objects WHERE bucket = $1', [bucket])
        const garbage = await h.t.platform.db.query('SELECT path FROM storage_garbage WHERE path LIKE $1', [
          `${bucket}/%`,
        ])
        const temp = h.s3
          ? h.s3.pendingUploads()
          : readdirSync(path.join(h.t.platform.config.dataDir, 'storage', '.tmp'))
        return blobs.length === 0 && rows.length === 0 && garbage.length === 0 && temp.length === 0
      },
      10_000,
      `no trace of ${bucket}`,
    )
    expect(await objectEvents(h.t, bucket, objectKey)).toEqual([])
  }

  it('refuses a declared content-length over the bucket limit at once (413 storage/too-large)', async () => {
    const bucket = await newBucket({ maxFileSize: 1000 })
    const res = await api().put(objectPath(bucket, 'big')).set(key).send(Buffer.alloc(1001))
    expect(res.status).toBe(413)
    expect(res.body.error).toMatchObject({ code: 'storage/too-large', details: { maxFileSize: 1000 } })
    await expectNothingLeft(bucket, 'big')
    const fits = await api().put(objectPath(bucket, 'fits')).set(key).send(Buffer.alloc(1000))
    expect(fits.status).toBe(200)
  })

  it('stops a chunked body while streaming once it passes the limit (413), leaving nothing', async () => {
    const bucket = await newBucket({ maxFileSize: 12 * 1024 * 1024 })
    // No content-length: the limit is only known to be passed half-way through.
    const res = await streamUpload(
      `${h.t.url}${objectPath(bucket, 'stream')}`,
      generated(40 * 1024 * 1024),
      key,
    )
    expect(res.status).toBe(413)
    expect(JSON.parse(res.body).error.code).toBe('storage/too-large')
    // The server reads the rest off (bounded: plugins/bounded-drain.ts) instead of closing under the
    // client's writes, so the connection is fit for reuse.
    expect(res.headers.connection ?? 'keep-alive').toBe('keep-alive')
    await expectNothingLeft(bucket, 'stream')
  })

  it('applies allowedContentTypes (415 storage/invalid-content-type)', async () => {
    const bucket = await newBucket({ allowedContentTypes: ['image/*', 'application/pdf'] })
    const png = await api()
      .put(objectPath(bucket, 'a.png'))
      .set(key)
      .set('content-type', 'image/png')
      .send('p')
    expect(png.status).toBe(200)
    const pdf = await api()
      .put(objectPath(bucket, 'a.pdf'))
      .set(key)
      .set('content-type', 'Application/PDF; x=1')
      .send('p')
    expect(pdf.status).toBe(200)
    const text = await api()
      .put(objectPath(bucket, 'a.txt'))
      .set(key)
      .set('content-type', 'text/plain')
      .send('t')
    expect(text.status).toBe(415)
    expect(text.body.error.code).toBe('storage/invalid-content-type')
    expect(await objectEvents(h.t, bucket, 'a.txt')).toEqual([])
    expect((await api().get(`/storage/v1/list/${bucket}`).set(key)).body.objects).toHaveLength(2)
  })

  it('leaves nothing when the client aborts an upload half-way', async () => {
    const bucket = await newBucket()
    const size = 32 * 1024 * 1024
    await new Promise<void>((resolve) => {
      const req = httpRequest(`${h.t.url}${objectPath(bucket, 'aborted')}`, {
        method: 'PUT',
        headers: { ...key, 'content-length': size },
      })
      req.on('error', () => resolve())
      let sent = 0
      const chunk = Buffer.alloc(1024 * 1024, 7)
      const pump = () => {
        // Past one multipart part on S3, then the connection drops.
        if (sent >= 12 * 1024 * 1024) {
          setTimeout(() => {
            req.destroy()
            resolve()
          }, 100)
          return
        }
        sent += chunk.length
        if (req.write(chunk)) setImmediate(pump)
        else req.once('drain', pump)
      }
      pump()
    })
    await expectNothingLeft(bucket, 'aborted')
  })

  it('keeps exactly one complete object under concurrent overwrites, its metadata matching its bytes', async () => {
    const bucket = await newBucket()
    const writers = 8
    const bodies = Array.from({ length: writers }, (_, i) => Buffer.alloc(200_000 + i * 1000, i + 1))
    const results = await Promise.all(
      bodies.map((body, i) =>
        api()
          .put(objectPath(bucket, 'contended'))
          .set(key)
          .set('x-stratus-meta-writer', String(i))
          .send(body),
      ),
    )
    for (const res of results) expect(res.status).toBe(200)
    const got = await binary(api().get(objectPath(bucket, 'contended')).set(key))
    const meta = await api().head(objectPath(bucket, 'contended')).set(key)
    const writer = Number(meta.headers['x-stratus-meta-writer'])
    expect(got.body.equals(bodies[writer]!)).toBe(true)
    expect(meta.headers.etag).toBe(`"${createHash('sha256').update(got.body).digest('hex')}"`)
    expect(Number(meta.headers['content-length'])).toBe(bodies[writer]!.length)
    expect((await objectEvents(h.t, bucket, 'contended')).map((e) => e.type)).toEqual(
      Array(writers).fill('storage.object.created'),
    )
    await eventually(async () => {
      const blobs: string[] = []
      for await (const p of h.t.platform.storage.storage.list(`${bucket}/`)) blobs.push(p)
      const garbage = await h.t.platform.db.query('SELECT 1 FROM storage_garbage WHERE path LIKE $1', [
        `${bucket}/%`,
      ])
      return blobs.length === 1 && garbage.length === 0
    })
  })

  it('sweeps the bytes of an upload that never completed (a crash between bytes and metadata)', async () => {
    const bucket = await newBucket()
    const { storage } = h.t.platform
    const orphan = `${bucket}/crashed/ORPHANVERSION1234567`
    const { Readable } = await import('node:stream')
    await storage.storage.put(orphan, Readable.from([Buffer.from('orphan')]))
    await h.t.platform.db.query(
      `INSERT INTO storage_garbage (path, sweep_after) VALUES ($1, now() - interval '1 second')`,
      [orphan],
    )
    expect(await storage.sweep()).toBeGreaterThanOrEqual(1)
    expect(await storage.storage.stat(orphan)).toBeNull()
    await expectNothingLeft(bucket, 'crashed')
  })

  it('refuses bucket settings it cannot honour (400 request/invalid)', async () => {
    const bad = [
      { rules: { read: 'auth.uid ==' } },
      { rules: { write: 'nosuchvar == 1' } },
      { rules: { remove: 'true' } },
      { allowedContentTypes: ['not a type'] },
      { maxFileSize: -1 },
      { maxFileSize: 6 * 1024 ** 4 },
      { public: 'yes' },
    ]
    for (const body of bad) {
      const res = await h.admin.putBucket(bucketName('bad'), body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body.error.code).toBe('request/invalid')
    }
    expect((await h.admin.putBucket('bad name!', {})).status).toBe(400)
  })

  it('manages buckets through /admin/v1 (201 then 200, list, delete only when empty)', async () => {
    const name = bucketName('adm')
    const created = await h.admin.putBucket(name)
    expect(created.status).toBe(201)
    expect(created.body).toEqual({
      name,
      public: false,
      rules: {},
      maxFileSize: null,
      allowedContentTypes: [],
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    })
    const updated = await h.admin.putBucket(name, {
      public: true,
      rules: { write: 'auth != null' },
      maxFileSize: 5,
    })
    expect(updated.status).toBe(200)
    expect(updated.body).toMatchObject({ public: true, rules: { write: 'auth != null' }, maxFileSize: 5 })
    expect((await api().get(`/admin/v1/buckets/${name}`).set(key)).body.public).toBe(true)
    const list = await api().get('/admin/v1/buckets').set(key)
    expect(list.body.buckets.map((b: { name: string }) => b.name)).toContain(name)
    await api().put(objectPath(name, 'x')).set(key).send('1')
    const notEmpty = await api().delete(`/admin/v1/buckets/${name}`).set(key)
    expect(notEmpty.status).toBe(409)
    expect(notEmpty.body.error.code).toBe('storage/bucket-not-empty')
    await api().delete(objectPath(name, 'x')).set(key)
    expect((await api().delete(`/admin/v1/buckets/${name}`).set(key)).status).toBe(204)
    expect((await api().get(`/admin/v1/buckets/${name}`).set(key)).status).toBe(404)
    const openapi = await api().get('/openapi.json')
    expect(openapi.status).toBe(200)
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining(['/storage/v1/list/{bucket}', '/admin/v1/buckets/{bucket}']),
    )
    // Without the service key: 401.
    expect((await request(h.t.url).put(`/admin/v1/buckets/${bucketName()}`).send({})).status).toBe(401)
  })
})
