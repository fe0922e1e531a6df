import { ApiError, api, CSRF_HEADER, consoleFetch, csrfToken } from './http.ts'

/** A bucket's settings, as `GET /admin/v1/buckets/{bucket}` answers them. */
export interface Bucket {
  name: string
  public: boolean
  /** CEL per operation; an absent rule denies (except to admins and the service key). */
  rules: { read?: string; write?: string; delete?: string }
  /** Bytes; null: the platform's limit (STORAGE_MAX_FILE_SIZE). */
  maxFileSize: number | null
  /** Empty: any type. Entries may end in `/*` (`image/*`). */
  allowedContentTypes: string[]
  createdAt: string
  updatedAt: string
}

export type BucketInput = Partial<Pick<Bucket, 'public' | 'rules' | 'maxFileSize' | 'allowedContentTypes'>>

/** An object's metadata (API.md). */
export interface StoredObject {
  bucket: string
  key: string
  size: number
  contentType: string
  etag: string
  metadata: Record<string, string>
  createdAt: string
  updatedAt: string
}

export interface ObjectPage {
  objects: StoredObject[]
  /** The "folders" one level below the prefix, when the server groups by a delimiter. */
  prefixes?: string[]
  nextCursor: string | null
}

/** The app API as the signed-in admin (rules bypassed, viewers read only). */
const APP_STORAGE = '/admin/v1/app/storage/v1'

const enc = encodeURIComponent
/** A key keeps its slashes in the path; each segment is encoded. */
const keyPath = (key: string) => key.split('/').map(enc).join('/')

/** Where an object's bytes are, for the admin session. */
export function objectUrl(bucket: string, key: string): string {
  return `${APP_STORAGE}/object/${enc(bucket)}/${keyPath(key)}`
}

export async function listBuckets(signal?: AbortSignal): Promise<Bucket[]> {
  const { buckets } = await api<{ buckets: Bucket[] }>('GET', '/admin/v1/buckets', signal ? { signal } : {})
  return buckets
}

export function getBucket(name: string, signal?: AbortSignal): Promise<Bucket> {
  return api('GET', `/admin/v1/buckets/${enc(name)}`, signal ? { signal } : {})
}

/** Creates a bucket or replaces its settings. */
export function putBucket(name: string, input: BucketInput): Promise<Bucket> {
  return api('PUT', `/admin/v1/buckets/${enc(name)}`, { body: input })
}

/** Deletes an empty bucket (409 `storage/bucket-not-empty` otherwise). */
export function deleteBucket(name: string): Promise<void> {
  return api('DELETE', `/admin/v1/buckets/${enc(name)}`)
}

/**
 * One page of the objects under `prefix`, grouped into folders at `/`: keys that go on past the next
 * `/` come back once each, as `prefixes` (S3's common prefixes); `limit` counts both.
 */
export function listObjects(
  bucket: string,
  query: { prefix?: string; cursor?: string | null; limit?: number },
  signal?: AbortSignal,
): Promise<ObjectPage> {
  return api<ObjectPage>('GET', `${APP_STORAGE}/list/${enc(bucket)}`, {
    query: { prefix: query.prefix, cursor: query.cursor, limit: query.limit ?? 100, delimiter: '/' },
    ...(signal ? { signal } : {}),
  })
}

/** The object's bytes as a Blob, read with the admin session. */
export async function downloadObject(bucket: string, key: string, signal?: AbortSignal): Promise<Blob> {
  let response: Response
  try {
    response = await consoleFetch(objectUrl(bucket, key), signal ? { signal } : {})
  } catch (error) {
    if (signal?.aborted) throw error
    throw new ApiError(0, 'network/unreachable', `The server did not answer: ${(error as Error).message}`)
  }
  if (!response.ok) throw errorFromText(response.status, await response.text())
  return response.blob()
}

/** An object's metadata from a HEAD (for a deep link to an object the listing has not loaded). */
export async function headObject(bucket: string, key: string, signal?: AbortSignal): Promise<StoredObject> {
  const response = await consoleFetch(objectUrl(bucket, key), {
    method: 'HEAD',
    ...(signal ? { signal } : {}),
  })
  if (!response.ok) {
    throw response.status === 404
      ? new ApiError(404, 'storage/not-found', `No object ${key} in ${bucket}`)
      : new ApiError(response.status, 'http/error', `HTTP ${response.status}`)
  }
  const header = (name: string) => response.headers.get(name) ?? ''
  const metadata: Record<string, string> = {}
  response.headers.forEach((value, name) => {
    if (name.startsWith('x-stratus-meta-')) metadata[name.slice('x-stratus-meta-'.length)] = value
  })
  const updatedAt = new Date(header('last-modified') || Date.now()).toISOString()
  return {
    bucket,
    key,
    size: Number(header('content-length')) || 0,
    contentType: header('content-type') || 'application/octet-stream',
    etag: header('etag').replace(/^W\//, '').replace(/"/g, ''),
    metadata,
    createdAt: updatedAt,
    updatedAt,
  }
}

export function deleteObject(bucket: string, key: string): Promise<void> {
  return api('DELETE', objectUrl(bucket, key))
}

/** A URL that reads the object with no credentials at all until it expires. */
export function signObject(
  bucket: string,
  key: string,
  expiresIn: number,
): Promise<{ url: string; expiresAt: string }> {
  return api('POST', `${APP_STORAGE}/sign/${enc(bucket)}/${keyPath(key)}`, { body: { expiresIn } })
}

export interface UploadHandle {
  /** Settles with the stored object's metadata, or an `ApiError`. */
  done: Promise<StoredObject>
  abort(): void
}

/**
 * Uploads `file` to `bucket/key` with XMLHttpRequest, whose upload events report progress (fetch has
 * none for request bodies). The cookie goes along (same origin), the CSRF token in its header.
 */
export function uploadObject(
  bucket: string,
  key: string,
  file: Blob,
  onProgress: (loaded: number, total: number) => void,
): UploadHandle {
  const xhr = new XMLHttpRequest()
  const done = new Promise<StoredObject>((resolve, reject) => {
    xhr.open('PUT', objectUrl(bucket, key))
    xhr.setRequestHeader('content-type', file.type || 'application/octet-stream')
    xhr.setRequestHeader('accept', 'application/json')
    const csrf = csrfToken()
    if (csrf) xhr.setRequestHeader(CSRF_HEADER, csrf)
    xhr.upload.onprogress = (event) =>
      onProgress(event.loaded, event.lengthComputable ? event.total : file.size)
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(file.size, file.size)
        try {
          resolve(JSON.parse(xhr.responseText) as StoredObject)
        } catch {
          reject(new ApiError(xhr.status, 'http/error', 'The server answered no JSON'))
        }
      } else reject(errorFromText(xhr.status, xhr.responseText))
    }
    xhr.onerror = () => reject(new ApiError(0, 'network/unreachable', 'The upload did not reach the server'))
    xhr.onabort = () => reject(new ApiError(0, 'upload/cancelled', 'Upload cancelled'))
    xhr.send(file)
  })
  return { done, abort: () => xhr.abort() }
}

/** An `ApiError` from an answer's status and body text (the API's envelope when there is one). */
export function errorFromText(status: number, text: string): ApiError {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } }
    const error = body.error
    if (error && typeof error.code === 'string')
      return new ApiError(status, error.code, String(error.message ?? error.code), error.details)
  } catch {
    // Not JSON: fall through to a plain HTTP error.
  }
  return new ApiError(status, 'http/error', `HTTP ${status}`)
}
