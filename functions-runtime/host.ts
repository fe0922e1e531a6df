import { type HostAnswer, HostCallError, type HostCallHandler } from './sandbox/instance.ts'

/**
 * The platform's own HTTP API, called in-process (fastify's `inject`): functions' `ctx.db`,
 * `ctx.storage` and `ctx.queue` go through it with the service key, so they get exactly the public
 * semantics (validation, events, rules bypass for the service role) without touching services' internals.
 */
export type InternalHttp = (request: {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD'
  url: string
  headers: Record<string, string>
  payload?: string | Buffer
}) => Promise<{ statusCode: number; headers: Record<string, unknown>; rawPayload: Buffer }>

export interface HostOptions {
  http: InternalHttp
  /** The service key (read at each call: keys may rotate). */
  serviceKey: () => string
  allowFetch: boolean
  /** Largest response body a function may read through `fetch` or `download`. Default 10 MiB. */
  maxResponseBytes?: number
}

/** The only path prefixes ctx clients may reach: never /admin, /auth or /functions. */
const ALLOWED_PREFIXES = ['/db/v1/', '/storage/v1/', '/queue/v1/']
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'])
const PASSED_HEADERS = new Set(['content-type', 'if-match', 'if-none-match', 'range'])

/** Builds the host side of every call a sandboxed function makes. */
export function createHost(options: HostOptions): HostCallHandler {
  const maxBytes = options.maxResponseBytes ?? 10 * 1024 * 1024
  return async (op, payload, bytes, invocation) => {
    if (op === 'request') return request(options, payload, bytes, maxBytes)
    if (op === 'fetch') return outbound(options, payload, bytes, maxBytes, invocation.deadline)
    throw new HostCallError('request/invalid', `Unknown host call ${op}`)
  }
}

async function request(
  options: HostOptions,
  payload: Record<string, unknown>,
  bytes: Uint8Array | undefined,
  maxBytes: number,
): Promise<HostAnswer> {
  const method = String(payload.method ?? '').toUpperCase()
  const path = String(payload.path ?? '')
  if (!METHODS.has(method)) throw new HostCallError('request/invalid', `Unsupported method ${method}`)
  if (
    !ALLOWED_PREFIXES.some((prefix) => path.startsWith(prefix)) ||
    /[?#\\]/.test(path) ||
    path.split('/').some((segment) => segment === '..' || segment === '.' || /%2e%2e|^%2e$/i.test(segment))
  ) {
    throw new HostCallError(
      'request/invalid',
      `Functions may only call /db/v1, /storage/v1 and /queue/v1 (got ${path})`,
    )
  }
  const query = new URLSearchParams()
  if (payload.query && typeof payload.query === 'object') {
    for (const [key, value] of Object.entries(payload.query as Record<string, unknown>)) {
      if (value !== undefined && value !== null) query.set(key, String(value))
    }
  }
  const headers: Record<string, string> = { authorization: `Bearer ${options.serviceKey()}` }
  if (payload.headers && typeof payload.headers === 'object') {
    for (const [key, value] of Object.entries(payload.headers as Record<string, unknown>)) {
      const name = key.toLowerCase()
      if ((PASSED_HEADERS.has(name) || name.startsWith('x-stratus-meta-')) && value !== undefined) {
        headers[name] = String(value)
      }
    }
  }
  let body: string | Buffer | undefined
  if (bytes) body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  else if (typeof payload.text === 'string') body = payload.text
  else if (payload.json !== undefined) {
    body = JSON.stringify(payload.json)
    headers['content-type'] = 'application/json'
  }
  const qs = query.toString()
  const response = await options.http({
    method: method as 'GET',
    url: qs ? `${path}?${qs}` : path,
    headers,
    ...(body !== undefined ? { payload: body } : {}),
  })
  const contentType = String(response.headers['content-type'] ?? '')
  if (response.statusCode >= 400) throw toHostError(response.statusCode, response.rawPayload)
  if (payload.raw) {
    if (response.rawPayload.length > maxBytes) {
      throw new HostCallError('request/too-large', `The response is larger than ${maxBytes} bytes`)
    }
    return { value: { status: response.statusCode, contentType }, bytes: response.rawPayload }
  }
  if (response.statusCode === 204 || response.rawPayload.length === 0) return { value: null }
  if (contentType.includes('json')) return { value: JSON.parse(response.rawPayload.toString('utf8')) }
  return { value: response.rawPayload.toString('utf8') }
}

function toHostError(status: number, raw: Buffer): HostCallError {
  try {
    const body = JSON.parse(raw.toString('utf8')) as {
      error?: { code?: string; message?: string; details?: unknown }
    }
    if (body.error?.code) {
      return new HostCallError(body.error.code, body.error.message ?? 'failed', status, body.error.details)
    }
  } catch {
    // not an error envelope
  }
  return new HostCallError(
    status === 404 ? 'request/not-found' : 'internal',
    `The platform answered ${status}`,
    status,
  )
}

async function outbound(
  options: HostOptions,
  payload: Record<string, unknown>,
  bytes: Uint8Array | undefined,
  maxBytes: number,
  deadline: number,
): Promise<HostAnswer> {
  if (!options.allowFetch)
    throw new HostCallError('auth/forbidden', 'fetch is disabled (FUNCTIONS_ALLOW_FETCH)')
  let url: URL
  try {
    url = new URL(String(payload.url))
  } catch {
    throw new HostCallError('request/invalid', `Invalid URL ${String(payload.url)}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new HostCallError('request/invalid', 'fetch supports http: and https: URLs only')
  }
  const headers: Record<string, string> = {}
  if (payload.headers && typeof payload.headers === 'object') {
    for (const [key, value] of Object.entries(payload.headers as Record<string, unknown>))
      headers[key] = String(value)
  }
  const body = bytes ?? (typeof payload.text === 'string' ? payload.text : undefined)
  let response: Response
  try {
    response = await fetch(url, {
      method: String(payload.method ?? 'GET'),
      headers,
      body,
      redirect: 'follow',
      signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
    })
  } catch (error) {
    throw new HostCallError(
      'functions/failed',
      `fetch failed: ${error instanceof Error ? error.message : String(error)}`,
    )
  }
  const data = new Uint8Array(await response.arrayBuffer())
  if (data.byteLength > maxBytes)
    throw new HostCallError('request/too-large', `The response is larger than ${maxBytes} bytes`)
  const outHeaders: Record<string, string> = {}
  response.headers.forEach((value, key) => {
    outHeaders[key] = value
  })
  return {
    value: {
      status: response.status,
      statusText: response.statusText,
      url: response.url,
      headers: outHeaders,
    },
    bytes: data,
  }
}
