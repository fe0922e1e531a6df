import { createHash } from 'node:crypto'
import { get as httpGet } from 'node:http'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LANES } from '../support/platform.ts'
import { digest, generated } from './driver-contract.ts'
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

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')

async function blobs(h: StorageHarness, bucket: string): Promise<string[]> {
  const out: string[] = []
  for await (const path of h.t.platform.storage.storage.list(`${bucket}/`)) out.push(path)
  return out.sort()
}

// Objects through HTTP on both lanes: local disk (embedded) and S3 (real: Postgres + Redis + s3rver).
describe.each(LANES)('storage objects (%s lane)', (lane) => {
  let h: StorageHarness
  let api: () => ReturnType<typeof request>
  let key: Record<string, string>
  beforeAll(async () => {
    h = await startStorage(lane)
    api = () => request(h.t.url)
    key = bearer(h.t.serviceKey)
  })
  afterAll(async () => {
    await h?.close()
  })

  async function newBucket(body: object = {}): Promise<string> {
    const name = bucketName()
    const res = await h.admin.putBucket(name, body)
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    return name
  }

  it('uploads (200 metadata, storage.object.created) and downloads with its headers', async () => {
    const bucket = await newBucket()
    const res = await api()
      .put(objectPath(bucket, 'docs/hello world.txt'))
      .set(key)
      .set('content-type', 'text/plain; charset=utf-8')
      .set('x-stratus-meta-owner', 'alice')
      .set('x-stratus-meta-note', 'héllo')
      .send('hello, world')
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body).toEqual({
      bucket,
      key: 'docs/hello world.txt',
      size: 12,
      contentType: 'text/plain; charset=utf-8',
      etag: sha256('hello, world'),
      metadata: { owner: 'alice', note: 'héllo' },
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    })
    expect(await objectEvents(h.t, bucket, 'docs/hello world.txt')).toEqual([
      { type: 'storage.object.created', data: { object: res.body } },
    ])

    const got = await binary(api().get(objectPath(bucket, 'docs/hello world.txt')).set(key))
    expect(got.status).toBe(200)
    expect(got.body.toString()).toBe('hello, world')
    expect(got.headers).toMatchObject({
      'content-type': 'text/plain; charset=utf-8',
      'content-length': '12',
      etag: `"${sha256('hello, world')}"`,
      'accept-ranges': 'bytes',
      'content-disposition': `inline; filename="hello world.txt"; filename*=UTF-8''hello%20world.txt`,
      'x-stratus-meta-owner': 'alice',
    })
    expect(Buffer.from(got.headers['x-stratus-meta-note'] as string, 'latin1').toString()).toBe('héllo')
    expect(got.headers['last-modified']).toBe(new Date(res.body.updatedAt).toUTCString())

    const attachment = await api()
      .get(`${objectPath(bucket, 'docs/hello world.txt')}?download=hi.txt`)
      .set(key)
    expect(attachment.headers['content-disposition']).toMatch(/^attachment; filename="hi.txt"/)
  })

  it('answers HEAD with the headers and no body', async () => {
    const bucket = await newBucket()
    await api().put(objectPath(bucket, 'a.bin')).set(key).set('content-type', 'application/x-a').send('12345')
    const res = await api().head(objectPath(bucket, 'a.bin')).set(key)
    expect(res.status).toBe(200)
    expect(res.headers['content-length']).toBe('5')
    expect(res.headers['content-type']).toBe('application/x-a')
    expect(res.headers.etag).toBe(`"${sha256('12345')}"`)
    expect(res.text ?? '').toBe('')
    expect((await api().head(objectPath(bucket, 'missing')).set(key)).status).toBe(404)
  })

  it('keeps any content-type as bytes (a JSON upload is not parsed)', async () => {
    const bucket = await newBucket()
    const body = '{"not": "parsed", broken'
    const res = await api()
      .put(objectPath(bucket, 'x.json'))
      .set(key)
      .set('content-type', 'application/json')
      .send(body)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.size).toBe(body.length)
    const got = await binary(api().get(objectPath(bucket, 'x.json')).set(key))
    expect(got.body.toString()).toBe(body)
    // No content-type at all: application/octet-stream.
    const bare = await streamUpload(`${h.t.url}${objectPath(bucket, 'bare')}`, generated(10), {
      ...key,
      'content-length': 10,
    })
    expect(JSON.parse(bare.body).contentType).toBe('application/octet-stream')
  })

  it.each([
    ['bytes=2-5', 206, '2345', 'bytes 2-5/10'],
    ['bytes=7-', 206, '789', 'bytes 7-9/10'],
    ['bytes=-3', 206, '789', 'bytes 7-9/10'],
    ['bytes=0-0', 206, '0', 'bytes 0-0/10'],
    ['bytes=5-100', 206, '56789', 'bytes 5-9/10'],
    ['bytes=0-1,4-5', 200, '0123456789', undefined],
    ['items=0-1', 200, '0123456789', undefined],
  ])('serves Range %s → %i', async (range, status, body, contentRange) => {
    const bucket = await newBucket()
    await api().put(objectPath(bucket, 'digits')).set(key).send('0123456789')
    const res = await binary(api().get(objectPath(bucket, 'digits')).set(key).set('range', range))
    expect(res.status).toBe(status)
    expect(res.body.toString()).toBe(body)
    expect(res.headers['content-length']).toBe(String(body.length))
    expect(res.headers['content-range']).toBe(contentRange)
  })

  it('answers 416 to a range past the end, and ignores Range when If-Range names another version', async () => {
    const bucket = await newBucket()
    await api().put(objectPath(bucket, 'digits')).set(key).send('0123456789')
    const past = await api().get(objectPath(bucket, 'digits')).set(key).set('range', 'bytes=10-')
    expect(past.status).toBe(416)
    expect(past.body.error.code).toBe('storage/range-not-satisfiable')
    expect(past.headers['content-range']).toBe('bytes */10')
    const stale = await binary(
      api().get(objectPath(bucket, 'digits')).set(key).set('range', 'bytes=0-1').set('if-range', '"old"'),
    )
    expect(stale.status).toBe(200)
    expect(stale.body.toString()).toBe('0123456789')
    const etag = `"${sha256('0123456789')}"`
    const fresh = await binary(
      api().get(objectPath(bucket, 'digits')).set(key).set('range', 'bytes=0-1').set('if-range', etag),
    )
    expect(fresh.status).toBe(206)
  })

  it('answers If-None-Match with 304 while the etag matches', async () => {
    const bucket = await newBucket()
    const put = await api().put(objectPath(bucket, 'cached')).set(key).send('v1')
    const etag = `"${put.body.etag}"`
    const same = await api().get(objectPath(bucket, 'cached')).set(key).set('if-none-match', etag)
    expect(same.status).toBe(304)
    expect(same.headers.etag).toBe(etag)
    expect(
      (await api().get(objectPath(bucket, 'cached')).set(key).set('if-none-match', `W/${etag}`)).status,
    ).toBe(304)
    await api().put(objectPath(bucket, 'cached')).set(key).send('v2')
    const changed = await binary(api().get(objectPath(bucket, 'cached')).set(key).set('if-none-match', etag))
    expect(changed.status).toBe(200)
    expect(changed.body.toString()).toBe('v2')
  })

  it('overwrites: the new bytes and metadata replace the old, the old bytes are deleted, each PUT emits created', async () => {
    const bucket = await newBucket()
    const first = await api().put(objectPath(bucket, 'k')).set(key).set('x-stratus-meta-v', '1').send('first')
    const second = await api()
      .put(objectPath(bucket, 'k'))
      .set(key)
      .set('content-type', 'text/x-two')
      .send('second!')
    expect(second.status).toBe(200)
    expect(second.body).toMatchObject({
      size: 7,
      contentType: 'text/x-two',
      metadata: {},
      etag: sha256('second!'),
    })
    expect(second.body.createdAt).toBe(first.body.createdAt)
    expect(Date.parse(second.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(first.body.updatedAt))
    const got = await binary(api().get(objectPath(bucket, 'k')).set(key))
    expect(got.body.toString()).toBe('second!')
    expect((await objectEvents(h.t, bucket, 'k')).map((e) => e.type)).toEqual([
      'storage.object.created',
      'storage.object.created',
    ])
    expect(await blobs(h, bucket)).toHaveLength(1)
  })

  it('deletes (204, storage.object.deleted with the metadata) and then answers 404', async () => {
    const bucket = await newBucket()
    const put = await api().put(objectPath(bucket, 'gone/soon.txt')).set(key).send('bye')
    const del = await api().delete(objectPath(bucket, 'gone/soon.txt')).set(key)
    expect(del.status).toBe(204)
    const events = await objectEvents(h.t, bucket, 'gone/soon.txt')
    expect(events.map((e) => e.type)).toEqual(['storage.object.created', 'storage.object.deleted'])
    expect(events[1]!.data).toEqual({ object: put.body })
    const after = await api().get(objectPath(bucket, 'gone/soon.txt')).set(key)
    expect(after.status).toBe(404)
    expect(after.body.error.code).toBe('storage/not-found')
    expect((await api().delete(objectPath(bucket, 'gone/soon.txt')).set(key)).status).toBe(404)
    expect(await blobs(h, bucket)).toEqual([])
  })

  it('lists by prefix in key order, paging with a keyset cursor', async () => {
    const bucket = await newBucket()
    const keys = ['a/1', 'a/2', 'a/3', 'a/sub/4', 'b/1', 'c']
    for (const k of [...keys].reverse())
      await api().put(objectPath(bucket, k)).set(key).set('content-type', 'text/plain').send(k)
    const all = await api().get(`/storage/v1/list/${bucket}`).set(key)
    expect(all.status).toBe(200)
    expect(all.body.objects.map((o: { key: string }) => o.key)).toEqual(keys)
    expect(all.body.nextCursor).toBeNull()
    expect(all.body.objects[0]).toEqual({
      bucket,
      key: 'a/1',
      size: 3,
      contentType: 'text/plain',
      etag: sha256('a/1'),
      metadata: {},
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    })

    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const query: Record<string, string | number> = { prefix: 'a/', limit: 2 }
      if (cursor) query.cursor = cursor
      const page = await api().get(`/storage/v1/list/${bucket}`).query(query).set(key)
      expect(page.status).toBe(200)
      seen.push(...page.body.objects.map((o: { key: string }) => o.key))
      cursor = page.body.nextCursor
      pages++
    } while (cursor)
    expect(seen).toEqual(['a/1', 'a/2', 'a/3', 'a/sub/4'])
    expect(pages).toBe(2)

    const bad = await api().get(`/storage/v1/list/${bucket}`).query({ cursor: '%%%' }).set(key)
    expect(bad.status).toBe(400)
    expect((await api().get(`/storage/v1/list/${bucket}`).query({ limit: 0 }).set(key)).status).toBe(400)
    expect((await api().get('/storage/v1/list/no-such-bucket').set(key)).body.error.code).toBe(
      'storage/not-found',
    )
  })

  it('stores a 0-byte object', async () => {
    const bucket = await newBucket()
    const res = await streamUpload(`${h.t.url}${objectPath(bucket, 'empty')}`, generated(0), {
      ...key,
      'content-length': 0,
    })
    expect(res.status, res.body).toBe(200)
    expect(JSON.parse(res.body)).toMatchObject({ size: 0, etag: sha256('') })
    const got = await binary(api().get(objectPath(bucket, 'empty')).set(key))
    expect(got.status).toBe(200)
    expect(got.headers['content-length']).toBe('0')
    expect(got.body.length).toBe(0)
    expect((await api().get(objectPath(bucket, 'empty')).set(key).set('range', 'bytes=0-')).status).toBe(416)
  })

  it('streams a 100 MiB object up and down', async () => {
    const bucket = await newBucket()
    const size = 100 * 1024 * 1024
    const expected = await digest(generated(size, 9, 1024 * 1024))
    const res = await streamUpload(
      `${h.t.url}${objectPath(bucket, 'big.bin')}`,
      generated(size, 9, 1024 * 1024),
      {
        ...key,
        'content-length': size,
        'content-type': 'application/octet-stream',
      },
    )
    expect(res.status, res.body).toBe(200)
    expect(JSON.parse(res.body)).toMatchObject({ size, etag: expected.sha256 })
    const download = await new Promise<{ sha256: string; size: number; length?: string }>(
      (resolve, reject) => {
        httpGet(`${h.t.url}${objectPath(bucket, 'big.bin')}`, { headers: key }, (response) => {
          digest(response).then((d) => resolve({ ...d, length: response.headers['content-length'] }), reject)
        }).on('error', reject)
      },
    )
    expect(download).toEqual({ ...expected, length: String(size) })
  }, 120_000)

  it('answers 404 storage/not-found for a missing bucket or object', async () => {
    const missingBucket = await api().get(objectPath('no-such-bucket', 'x')).set(key)
    expect(missingBucket.status).toBe(404)
    expect(missingBucket.body.error.code).toBe('storage/not-found')
    const bucket = await newBucket()
    const missingObject = await api().get(objectPath(bucket, 'nope')).set(key)
    expect(missingObject.body.error.code).toBe('storage/not-found')
    const put = await api().put(objectPath('no-such-bucket', 'x')).set(key).send('x')
    expect(put.status).toBe(404)
  })
})
