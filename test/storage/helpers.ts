import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import type { Readable } from 'node:stream'
import request from 'supertest'
import { expect } from 'vitest'
import { type Lane, startTestPlatform, type TestPlatform } from '../support/platform.ts'
import { startTestS3, type TestS3 } from './s3-server.ts'

/**
 * A platform for the storage suites. The embedded lane stores bytes on local disk; the real lane uses
 * Postgres, Redis and S3 (an s3rver started for the suite), so both drivers serve the same HTTP suite.
 */
export interface StorageHarness {
  t: TestPlatform
  s3?: TestS3
  /** Requests as the service key. */
  admin: {
    putBucket(name: string, body?: object): Promise<request.Response>
  }
  close(): Promise<void>
}

export async function startStorage(lane: Lane, env: Record<string, string> = {}): Promise<StorageHarness> {
  const s3 = lane === 'real' ? await startTestS3() : undefined
  const t = await startTestPlatform(lane, { ...(s3?.env ?? {}), ...env })
  return {
    t,
    s3,
    admin: {
      putBucket: (name, body) => {
        const req = request(t.url).put(`/admin/v1/buckets/${name}`).set(bearer(t.serviceKey))
        return body === undefined ? req : req.send(body)
      },
    },
    close: async () => {
      await t.close()
      await s3?.close()
    },
  }
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

let buckets = 0
/** A fresh bucket name per case. */
export function bucketName(label = 'b'): string {
  return `${label}-${process.pid}-${buckets++}`
}

/** The URL path of an object, with each key segment encoded. */
export function objectPath(bucket: string, key: string): string {
  return `/storage/v1/object/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`
}

/** Events written for an object, oldest first: `[type, data]`. */
export async function objectEvents(
  t: TestPlatform,
  bucket: string,
  key: string,
): Promise<{ type: string; data: { object: Record<string, unknown> } }[]> {
  return t.platform.db.query('SELECT type, data FROM outbox WHERE subject = $1 ORDER BY id', [
    `buckets/${bucket}/objects/${key}`,
  ])
}

/** Creates an authenticated user and returns its uid and access token. */
export async function signUp(t: TestPlatform): Promise<{ uid: string; access: string }> {
  const email = `u${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}@example.test`
  const res = await request(t.url).post('/auth/v1/signup').send({ email, password: 'correct horse battery' })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return { uid: res.body.user.id, access: res.body.session.access_token }
}

/** Buffers a supertest binary response (supertest parses only text types by default). */
export function binary(res: request.Test): request.Test {
  return res.buffer(true).parse((response, callback) => {
    const chunks: Buffer[] = []
    response.on('data', (chunk: Buffer) => chunks.push(chunk))
    response.on('end', () => callback(null, Buffer.concat(chunks)))
  })
}

/** The answer to a raw HTTP request whose body is streamed from `body` (chunked unless a length is given). */
export interface RawAnswer {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/**
 * Streams `body` to `url` with node:http (no buffering client in between). Resolves with the answer,
 * even if the server answers before the body has been sent and then closes the connection.
 */
export function streamUpload(
  url: string,
  body: Readable,
  headers: Record<string, string | number> = {},
  method = 'PUT',
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        text += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }))
      res.on('error', reject)
    })
    // An early answer closes the socket while the body is still being sent: that is expected here.
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error)
    })
    body.on('error', (error) => req.destroy(error))
    body.pipe(req)
  })
}
