import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LANES } from '../support/platform.ts'
import { bearer, bucketName, objectPath, type StorageHarness, signUp, startStorage } from './helpers.ts'

const KEYS = [
  'a.txt',
  'docs/x.txt',
  'docs/y.txt',
  'docs/sub/z.txt',
  'docs/sub/deeper/w.txt',
  'img/1.png',
  'img/2.png',
  'zeta.txt',
  'ü/n.txt',
]

// One folder level of a bucket (`delimiter=/`), like S3's common prefixes, on both drivers.
describe.each(LANES)('storage folders (%s lane)', (lane) => {
  let h: StorageHarness
  let api: () => ReturnType<typeof request>
  let key: Record<string, string>
  let bucket: string

  beforeAll(async () => {
    h = await startStorage(lane)
    api = () => request(h.t.url)
    key = bearer(h.t.serviceKey)
    bucket = bucketName('folders')
    expect((await h.admin.putBucket(bucket, {})).status).toBe(201)
    for (const name of KEYS) {
      const res = await api()
        .put(objectPath(bucket, name))
        .set(key)
        .set('content-type', 'text/plain')
        .send(name)
      expect(res.status, JSON.stringify(res.body)).toBe(200)
    }
  })
  afterAll(async () => {
    await h?.close()
  })

  const list = (query: Record<string, string | number>) =>
    api().get(`/storage/v1/list/${bucket}`).query(query).set(key)
  const keysOf = (res: request.Response) => res.body.objects.map((o: { key: string }) => o.key)

  it('rolls keys up into prefixes at the root and inside a folder, in code point order', async () => {
    const root = await list({ delimiter: '/' })
    expect(root.status, JSON.stringify(root.body)).toBe(200)
    expect(keysOf(root)).toEqual(['a.txt', 'zeta.txt'])
    expect(root.body.prefixes).toEqual(['docs/', 'img/', 'ü/'])
    expect(root.body.nextCursor).toBeNull()

    const docs = await list({ prefix: 'docs/', delimiter: '/' })
    expect(keysOf(docs)).toEqual(['docs/x.txt', 'docs/y.txt'])
    expect(docs.body.prefixes).toEqual(['docs/sub/'])
    const sub = await list({ prefix: 'docs/sub/', delimiter: '/' })
    expect(keysOf(sub)).toEqual(['docs/sub/z.txt'])
    expect(sub.body.prefixes).toEqual(['docs/sub/deeper/'])
    // A prefix that is not a whole folder name works as in S3.
    const partial = await list({ prefix: 'd', delimiter: '/' })
    expect(keysOf(partial)).toEqual([])
    expect(partial.body.prefixes).toEqual(['docs/'])
  })

  it('counts objects and prefixes together in a page and resumes after a folder', async () => {
    const seen: { objects: string[]; prefixes: string[] }[] = []
    let cursor: string | null = null
    for (let i = 0; i < 10; i++) {
      const page: request.Response = await list({ delimiter: '/', limit: 2, ...(cursor ? { cursor } : {}) })
      expect(page.status, JSON.stringify(page.body)).toBe(200)
      seen.push({ objects: keysOf(page), prefixes: page.body.prefixes })
      cursor = page.body.nextCursor
      if (!cursor) break
    }
    expect(seen).toEqual([
      { objects: ['a.txt'], prefixes: ['docs/'] },
      { objects: ['zeta.txt'], prefixes: ['img/'] },
      { objects: [], prefixes: ['ü/'] },
    ])
  })

  it('lists every key without a delimiter, in the same order, with no prefixes field', async () => {
    const all = await list({ limit: 100 })
    expect(keysOf(all)).toEqual([...KEYS].sort((x, y) => Buffer.from(x).compare(Buffer.from(y)) as number))
    expect(all.body).not.toHaveProperty('prefixes')
    const docs = await list({ prefix: 'docs/' })
    expect(keysOf(docs)).toEqual(['docs/sub/deeper/w.txt', 'docs/sub/z.txt', 'docs/x.txt', 'docs/y.txt'])
  })

  it.each([
    ['two characters', { delimiter: '//' }],
    ['a control character', { delimiter: '\u0001' }],
    ['a bad cursor', { delimiter: '/', cursor: '%%%' }],
  ])('refuses %s with 400 request/invalid', async (_name, query) => {
    const res = await list(query)
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('request/invalid')
  })

  it('shows a caller whose read rule filters objects only the folders it may read from', async () => {
    const ruled = bucketName('ruled')
    const rules = { read: 'auth != null && object.key.startsWith(auth.uid + "/")' }
    expect((await h.admin.putBucket(ruled, { rules })).status).toBe(201)
    const alice = await signUp(h.t)
    const bob = await signUp(h.t)
    for (const name of [`${alice.uid}/a.txt`, `${bob.uid}/b.txt`, 'shared.txt']) {
      expect((await api().put(objectPath(ruled, name)).set(key).send('x')).status).toBe(200)
    }
    const asAlice = await api()
      .get(`/storage/v1/list/${ruled}`)
      .query({ delimiter: '/' })
      .set(bearer(alice.access))
    expect(asAlice.status).toBe(200)
    expect(asAlice.body).toMatchObject({ objects: [], prefixes: [`${alice.uid}/`] })
    const asService = await api().get(`/storage/v1/list/${ruled}`).query({ delimiter: '/' }).set(key)
    expect(asService.body.prefixes).toEqual([`${alice.uid}/`, `${bob.uid}/`].sort())
    expect(keysOf(asService)).toEqual(['shared.txt'])
  })
})
