import { createReadStream, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import S3rver from '@20minutes/s3rver'

/** A real S3 server for one test file: @20minutes/s3rver (which checks SigV4 signatures) on loopback. */
export interface TestS3 {
  /** `http://127.0.0.1:<port>` */
  endpoint: string
  accessKey: string
  secretKey: string
  bucket: string
  /** The S3_* variables naming it. */
  env: Record<string, string>
  /** Incomplete multipart uploads still held by the server (an aborted upload must leave none). */
  pendingUploads(): string[]
  close(): Promise<void>
}

// s3rver's built-in credentials.
const ACCESS_KEY = 'S3RVER'
const SECRET_KEY = 'S3RVER'

const EMPTY_UPLOADS = (bucket: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
  `<Bucket>${bucket}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><MaxUploads>1000</MaxUploads>` +
  `<IsTruncated>false</IsTruncated></ListMultipartUploadsResult>`

/**
 * s3rver reads `Range: bytes=0-0` as the whole object (`end || Infinity`): serve the one byte, as S3 does.
 */
function fixSingleByteRange(s3rver: S3rver): void {
  const store = s3rver.store
  const getObject = store.getObject.bind(store)
  store.getObject = async (bucket, key, options) => {
    if (options?.end !== 0) return getObject(bucket, key, options)
    const object = await getObject(bucket, key, { start: 0 })
    if (object?.content) {
      object.content.destroy()
      object.content = createReadStream(store.getResourcePath(bucket, key, 'object'), { start: 0, end: 0 })
      object.range = { start: 0, end: 0 }
    }
    return object
  }
}

const XML_ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#x27;': "'",
  '&#x60;': '`',
}

/**
 * s3rver ignores `encoding-type=url` on listings, which the minio client always asks for and always
 * decodes (a key holding `%` then fails to parse): URL-encode the listed keys, as S3 does.
 */
function encodeListedKeys(response: ServerResponse): void {
  const end = response.end.bind(response) as (...args: unknown[]) => ServerResponse
  response.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (typeof chunk === 'string' || Buffer.isBuffer(chunk)) {
      const xml = chunk
        .toString()
        .replace(/<(Key|Prefix)>([^<]*)<\/\1>/g, (_all, tag: string, text: string) => {
          // s3rver escapes twice (its tag processor, then the XML builder).
          const unescapeXml = (value: string) =>
            value.replace(/&(amp|lt|gt|quot|#x27|#x60);/g, (entity) => XML_ENTITIES[entity] ?? entity)
          const raw = unescapeXml(unescapeXml(text))
          return `<${tag}>${encodeURIComponent(raw)}</${tag}>`
        })
      if (!response.headersSent) response.setHeader('content-length', Buffer.byteLength(xml))
      return end(xml, ...rest)
    }
    return end(chunk, ...rest)
  }) as typeof response.end
}

/**
 * Starts s3rver with shims for what version 4.0.4 lacks or gets wrong (see also `fixSingleByteRange` and
 * `encodeListedKeys`):
 * - `GET /<bucket>?uploads` (ListMultipartUploads, which the minio client sends before its own
 *   multipart uploads) answers 501 there: the shim answers an empty list;
 * - `DELETE /<bucket>/<key>?uploadId=…` (AbortMultipartUpload) answers 405: the shim removes the
 *   upload's parts from s3rver's store and answers 204, as S3 does.
 */
export async function startTestS3(
  bucket = 'stratus-test',
  options: {
    /** Default: one the kernel picks. */
    port?: number
    /** Keeps the objects there (and leaves them on close), so a restarted server still has them. */
    directory?: string
  } = {},
): Promise<TestS3> {
  const directory = options.directory ?? mkdtempSync(path.join(os.tmpdir(), 'stratus-s3rver-'))
  const s3rver = new S3rver({ silent: true, directory, configureBuckets: [{ name: bucket }] })
  await s3rver.configureBuckets()
  fixSingleByteRange(s3rver)
  const handle = s3rver.callback()
  const uploadsDir = (name: string) => s3rver.store.getResourcePath(name, undefined, 'uploads')

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://s3')
    const segments = url.pathname.split('/').filter(Boolean)
    if (request.method === 'GET' && segments.length === 1 && url.searchParams.has('uploads')) {
      response.writeHead(200, { 'content-type': 'application/xml' }).end(EMPTY_UPLOADS(segments[0]!))
      return
    }
    const uploadId = url.searchParams.get('uploadId')
    if (request.method === 'DELETE' && segments.length > 1 && uploadId && /^[\w-]+$/.test(uploadId)) {
      rmSync(path.join(uploadsDir(segments[0]!), uploadId), { recursive: true, force: true })
      response.writeHead(204).end()
      return
    }
    if (request.method === 'GET' && segments.length === 1 && url.searchParams.get('encoding-type') === 'url')
      encodeListedKeys(response)
    handle(request, response)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as AddressInfo
  const endpoint = `http://127.0.0.1:${port}`
  return {
    endpoint,
    accessKey: ACCESS_KEY,
    secretKey: SECRET_KEY,
    bucket,
    env: { S3_ENDPOINT: endpoint, S3_ACCESS_KEY: ACCESS_KEY, S3_SECRET_KEY: SECRET_KEY, S3_BUCKET: bucket },
    pendingUploads: () => {
      try {
        return readdirSync(uploadsDir(bucket))
      } catch {
        return []
      }
    },
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      s3rver.logger.exceptions.unhandle()
      s3rver.logger.close()
      if (!options.directory) rmSync(directory, { recursive: true, force: true })
    },
  }
}
