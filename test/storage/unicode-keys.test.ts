import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LANES } from '../support/platform.ts'
import { bearer, bucketName, objectPath, type StorageHarness, startStorage } from './helpers.ts'

// "é" typed two ways: one code point (NFC), or "e" and a combining acute accent (NFD, as macOS names
// files). Both must name one object, stored under the NFC form.
const NFC = 'photos/caf\u00e9/r\u00e9sum\u00e9.txt'
const NFD = 'photos/cafe\u0301/re\u0301sume\u0301.txt'

describe.each(LANES)('storage keys are normalised to NFC (%s lane)', (lane) => {
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

  async function newBucket(): Promise<string> {
    const name = bucketName('nfc')
    const res = await h.admin.putBucket(name, {})
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    return name
  }

  it.each([
    ['NFD', 'NFC', NFD, NFC],
    ['NFC', 'NFD', NFC, NFD],
  ])('put with %s, get with %s: one object, listed once, under the NFC key', async (_a, _b, put, get) => {
    expect(NFC).not.toBe(NFD)
    expect(NFD.normalize('NFC')).toBe(NFC)
    const bucket = await newBucket()
    const first = await api()
      .put(objectPath(bucket, put))
      .set(key)
      .set('content-type', 'text/plain')
      .send('one')
    expect(first.status, JSON.stringify(first.body)).toBe(200)
    expect(first.body.key).toBe(NFC)

    const read = await api().get(objectPath(bucket, get)).set(key).buffer(true)
    expect(read.status).toBe(200)
    expect(read.text).toBe('one')

    // Writing through the other form replaces the same object rather than adding a second one.
    const second = await api()
      .put(objectPath(bucket, get))
      .set(key)
      .set('content-type', 'text/plain')
      .send('two')
    expect(second.status).toBe(200)
    const again = await api().get(objectPath(bucket, put)).set(key).buffer(true)
    expect(again.text).toBe('two')

    const listed = await api().get(`/storage/v1/list/${bucket}`).set(key)
    expect(listed.status).toBe(200)
    expect(listed.body.objects.map((o: { key: string }) => o.key)).toEqual([NFC])
    // A prefix in either form finds it.
    for (const prefix of ['photos/cafe\u0301/', 'photos/caf\u00e9/']) {
      const page = await api().get(`/storage/v1/list/${bucket}`).query({ prefix }).set(key)
      expect(page.body.objects.map((o: { key: string }) => o.key)).toEqual([NFC])
    }
    const rows = await h.t.platform.db.query<{ key: string }>(
      'SELECT key FROM storage_objects WHERE bucket = $1',
      [bucket],
    )
    expect(rows.map((row) => row.key)).toEqual([NFC])
  })

  it('signs and deletes through either form', async () => {
    const bucket = await newBucket()
    expect((await api().put(objectPath(bucket, NFC)).set(key).send('x')).status).toBe(200)
    const signed = await api()
      .post(objectPath(bucket, NFD).replace('/object/', '/sign/'))
      .set(key)
      .send({ expiresIn: 60 })
    expect(signed.status, JSON.stringify(signed.body)).toBe(200)
    const url = new URL(signed.body.url, h.t.url)
    const viaUrl = await request(h.t.url).get(url.pathname + url.search)
    expect(viaUrl.status).toBe(200)
    expect((await api().delete(objectPath(bucket, NFD)).set(key)).status).toBe(204)
    expect((await api().get(objectPath(bucket, NFC)).set(key)).status).toBe(404)
  })
})
