import type { HttpClient } from './http.js'

/** API.md's object metadata. */
export interface ObjectInfo {
  bucket: string
  key: string
  size: number
  contentType: string
  etag: string
  metadata: Record<string, string>
  createdAt: string
  updatedAt: string
}

export type UploadBody = Blob | Uint8Array | ArrayBuffer | ReadableStream<Uint8Array> | string

export interface UploadOptions {
  /** Default: the Blob's own type, `text/plain; charset=utf-8` for a string, else `application/octet-stream`. */
  contentType?: string
  /** Kept with the object (sent as `x-stratus-meta-*` headers: keys are lower-cased). */
  metadata?: Record<string, string>
  signal?: AbortSignal
}

/** A downloaded object: its bytes, read once, with helpers. */
export interface DownloadedObject {
  data: Uint8Array
  size: number
  contentType: string | null
  text(): string
  json<T = unknown>(): T
}

export interface ListOptions {
  prefix?: string
  /** 1-1000, default 100. */
  limit?: number
  cursor?: string | null
  /**
   * One character (usually `/`): list one folder level. Keys that go on past it after `prefix` come
   * back rolled up in `prefixes`; `limit` counts objects and prefixes together.
   */
  delimiter?: string
}

/** A page of a listing. */
export interface ObjectList {
  objects: ObjectInfo[]
  /** With a `delimiter` only: the folders at this level, each ending with the delimiter. */
  prefixes?: string[]
  nextCursor: string | null
}

/** `app.storage`: buckets by name. */
export class StorageClient {
  readonly #http: HttpClient

  constructor(http: HttpClient) {
    this.#http = http
  }

  from(bucket: string): BucketClient {
    return new BucketClient(this.#http, bucket)
  }
}

/** One bucket's objects. Keys may contain `/`; each segment is URL-encoded. */
export class BucketClient {
  readonly bucket: string
  readonly #http: HttpClient

  constructor(http: HttpClient, bucket: string) {
    this.#http = http
    this.bucket = bucket
  }

  /** Stores `body` under `key` (replacing what was there); a stream is sent as it is read. */
  async upload(key: string, body: UploadBody, options: UploadOptions = {}): Promise<ObjectInfo> {
    const headers: Record<string, string> = { 'content-type': options.contentType ?? defaultType(body) }
    for (const [name, value] of Object.entries(options.metadata ?? {})) {
      headers[`x-stratus-meta-${name.toLowerCase()}`] = value
    }
    const response = await this.#http.send(this.#objectPath('object', key), {
      method: 'PUT',
      headers,
      body: body as BodyInit,
      ...(options.signal ? { signal: options.signal } : {}),
    })
    return (await response.json()) as ObjectInfo
  }

  /** The object's bytes (`storage/not-found` when there is none). */
  async download(key: string, options: { signal?: AbortSignal } = {}): Promise<DownloadedObject> {
    const response = await this.stream(key, options)
    const data = new Uint8Array(await response.arrayBuffer())
    const contentType = response.headers.get('content-type')
    return {
      data,
      size: data.byteLength,
      contentType,
      text: () => new TextDecoder().decode(data),
      json: <T>() => JSON.parse(new TextDecoder().decode(data)) as T,
    }
  }

  /** The object as a `Response` whose body is not read yet: for large objects, read `body` as a stream. */
  stream(key: string, options: { signal?: AbortSignal; range?: string } = {}): Promise<Response> {
    return this.#http.send(this.#objectPath('object', key), {
      headers: { accept: '*/*', ...(options.range ? { range: options.range } : {}) },
      ...(options.signal ? { signal: options.signal } : {}),
    })
  }

  async remove(key: string): Promise<void> {
    const response = await this.#http.send(this.#objectPath('object', key), { method: 'DELETE' })
    await response.body?.cancel()
  }

  /** Objects in key order, the ones the caller may read: `{objects, prefixes?, nextCursor}`. */
  list(options: ListOptions = {}): Promise<ObjectList> {
    return this.#http.get(`/storage/v1/list/${encodeURIComponent(this.bucket)}`, {
      query: {
        prefix: options.prefix,
        limit: options.limit,
        cursor: options.cursor,
        delimiter: options.delimiter,
      },
    })
  }

  /** A URL that reads the object with no other credentials for `expiresIn` seconds. */
  async createSignedUrl(key: string, expiresIn: number): Promise<string> {
    const { url } = await this.#http.post<{ url: string }>(this.#objectPath('sign', key), { expiresIn })
    return url
  }

  /** The plain URL of an object in a public bucket (no request is made). */
  getPublicUrl(key: string): string {
    return this.#http.url(this.#objectPath('object', key))
  }

  #objectPath(kind: 'object' | 'sign', key: string): string {
    const path = key.split('/').map(encodeURIComponent).join('/')
    return `/storage/v1/${kind}/${encodeURIComponent(this.bucket)}/${path}`
  }
}

function defaultType(body: UploadBody): string {
  if (typeof Blob !== 'undefined' && body instanceof Blob && body.type) return body.type
  if (typeof body === 'string') return 'text/plain; charset=utf-8'
  return 'application/octet-stream'
}
