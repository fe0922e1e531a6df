/** An error answer of the Stratus API (`{error:{code,message,details?}}`), or a network failure. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly details: unknown

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.details = details
  }
}

/** The CSRF cookie the server sets at sign-in; cookie-authenticated changes echo it in a header. */
const CSRF_COOKIE = 'stratus_csrf'
export const CSRF_HEADER = 'x-csrf-token'

function readCookie(name: string): string | undefined {
  for (const part of document.cookie.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined
  }
  return undefined
}

/** The CSRF token to echo on a change made outside `consoleFetch` (an upload through XMLHttpRequest). */
export function csrfToken(): string | undefined {
  return readCookie(CSRF_COOKIE)
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * `fetch` for the console: same origin, the session cookie, and the CSRF header on every change. The
 * SDK's data clients take it as their `fetch`, so they act with the admin's session too.
 */
export const consoleFetch: typeof fetch = (input, init = {}) => {
  const method = (init.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase()
  const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined))
  if (!READS.has(method)) {
    const csrf = readCookie(CSRF_COOKIE)
    if (csrf) headers.set(CSRF_HEADER, csrf)
  }
  return fetch(input, { ...init, headers, credentials: 'same-origin' })
}

/** Listeners told when the server says the session is gone (401): the shell shows the sign-in page. */
const unauthenticatedListeners = new Set<() => void>()
export function onUnauthenticated(listener: () => void): () => void {
  unauthenticatedListeners.add(listener)
  return () => unauthenticatedListeners.delete(listener)
}

export type QueryParams = Record<string, string | number | boolean | undefined | null>

export interface RequestOptions {
  query?: QueryParams
  body?: unknown
  signal?: AbortSignal
  headers?: Record<string, string>
}

/** `path` with its query string (undefined, null and '' values left out). */
export function withQuery(path: string, query?: QueryParams): string {
  if (!query) return path
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue
    params.set(key, String(value))
  }
  const text = params.toString()
  return text ? `${path}?${text}` : path
}

async function errorFrom(response: Response): Promise<ApiError> {
  let body: unknown
  try {
    body = await response.json()
  } catch {
    body = undefined
  }
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)
    ?.error
  if (error && typeof error.code === 'string') {
    return new ApiError(response.status, error.code, String(error.message ?? error.code), error.details)
  }
  return new ApiError(response.status, 'http/error', `HTTP ${response.status} ${response.statusText}`)
}

/** Calls the Stratus API on this origin and parses the JSON answer; throws `ApiError` on any error. */
export async function api<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers }
  let body: BodyInit | undefined
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(options.body)
  }
  let response: Response
  try {
    response = await consoleFetch(withQuery(path, options.query), {
      method,
      headers,
      body: body ?? null,
      signal: options.signal ?? null,
    })
  } catch (error) {
    if (options.signal?.aborted) throw error
    throw new ApiError(0, 'network/unreachable', `The server did not answer: ${(error as Error).message}`)
  }
  if (!response.ok) {
    const error = await errorFrom(response)
    if (response.status === 401 && !path.endsWith('/admin/v1/session')) {
      for (const listener of unauthenticatedListeners) listener()
    }
    throw error
  }
  if (response.status === 204) return undefined as T
  const type = response.headers.get('content-type') ?? ''
  return (type.includes('json') ? await response.json() : await response.text()) as T
}
