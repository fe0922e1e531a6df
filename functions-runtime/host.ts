import { type HostAnswer, HostCallError, type HostCallHandler, type Invocation } from './sandbox/instance.ts'

/**
 * The platform's own HTTP API, called in-process (fastify's `inject`): functions' `ctx.db`,
 * `ctx.storage` and `ctx.queue` go through it as the function's own principal (role `function`), so
 * they get exactly the public semantics (validation, events, rules bypass) without touching services'
 * internals, and the gateway refuses that principal on `/admin/v1` whatever path reaches it.
 */
export type InternalHttp = (request: {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD'
  url: string
  headers: Record<string, string>
  payload?: string | Buffer
}) => Promise<{ statusCode: number; headers: Record<string, unknown>; rawPayload: Buffer }>

export interface HostOptions {
  http: InternalHttp
  /** The bearer token of function `name`'s ctx clients (see SigningKeys.functionToken). */
  principal: (name: string) => Promise<string>
  allowFetch: boolean
  /** Largest body a function may receive through a ctx call or `fetch` (FUNCTIONS_MAX_PAYLOAD_BYTES). */
  maxPayloadBytes: number
}

/** The only path prefixes ctx clients may reach: never /admin, /auth or /functions. */
const ALLOWED_PREFIXES = ['/db/v1/', '/storage/v1/', '/queue/v1/']
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'])
const PASSED_HEADERS = new Set(['content-type', 'if-match', 'if-none-match'])
/** Only a base for resolving paths: nothing is ever sent to it. */
const INTERNAL_ORIGIN = 'http://stratus.internal'
const MAX_PATH_LENGTH = 8192

/** Builds the host side of every call a sandboxed function makes. */
export function createHost(options: HostOptions): HostCallHandler {
  return async (op, payload, bytes, invocation) => {
    if (op === 'request') return request(options, payload, bytes, invocation)
    if (op === 'fetch') return outbound(options, payload, bytes, invocation.deadline)
    throw new HostCallError('request/invalid', `Unknown host call ${op}`)
  }
}

/**
 * The path a ctx call may be sent to, resolved first and checked after: the URL parser resolves dot
 * segments in every spelling it knows (`..`, `.%2e`, `%2e.`, `%2E%2E`, backslashes), and the resolved
 * path is both what is checked and what is routed, so no spelling can mean one thing here and another
 * in the router. Segments that still decode to a dot segment or hold a slash are refused outright.
 */
export function resolveCtxPath(raw: unknown): string {
  const refuse = (): never => {
    throw new HostCallError(
      'request/invalid',
      `Functions may only call /db/v1, /storage/v1 and /queue/v1 (got ${String(raw).slice(0, 200)})`,
    )
  }
  if (typeof raw !== 'string' || raw.length > MAX_PATH_LENGTH || !raw.startsWith('/') || raw.startsWith('//'))
    return refuse()
  let url: URL
  try {
    url = new URL(raw, INTERNAL_ORIGIN)
  } catch {
    return refuse()
  }
  if (url.origin !== INTERNAL_ORIGIN || url.search !== '' || url.hash !== '' || /[?#]/.test(raw))
    return refuse()
  const path = url.pathname
  if (!ALLOWED_PREFIXES.some((prefix) => path.startsWith(prefix))) return refuse()
  for (const segment of path.split('/')) {
    let decoded: string
    try {
      decoded = decodeURIComponent(segment)
    } catch {
      return refuse()
    }
    if (decoded === '.' || decoded === '..' || /[/\\]/.test(decoded)) return refuse()
  }
  return path
}

async function request(
  options: HostOptions,
  payload: Record<string, unknown>,
  input: Uint8Array | string | undefined,
  invocation: Pick<Invocation, 'functionName' | 'traceparent'>,
): Promise<HostAnswer> {
  const method = String(payload.method ?? '').toUpperCase()
  if (!METHODS.has(method)) throw new HostCallError('request/invalid', `Unsupported method ${method}`)
  const path = resolveCtxPath(payload.path)
  const query = new URLSearchParams()
  if (payload.query && typeof payload.query === 'object') {
    for (const [key, value] of Object.entries(payload.query as Record<string, unknown>)) {
      if (value !== undefined && value !== null) query.set(key, String(value))
    }
  }
  const headers: Record<string, string> = {
    authorization: `Bearer ${await options.principal(invocation.functionName)}`,
  }
  // The write continues the execution's trace: its events name the execution's span as their cause.
  if (invocation.traceparent) headers.traceparent = invocation.traceparent
  if (payload.headers && typeof payload.headers === 'object') {
    for (const [key, value] of Object.entries(payload.headers as Record<string, unknown>)) {
      const name = key.toLowerCase()
      if ((PASSED_HEADERS.has(name) || name.startsWith('x-stratus-meta-')) && value !== undefined) {
        headers[name] = String(value)
      }
    }
  }
  const body = typeof input === 'string' || input === undefined ? input : bufferOf(input)
  // The bootstrap serialised a JSON body itself: it is passed on as text, never parsed here.
  if (payload.jsonBody === true) headers['content-type'] = 'application/json'
  // A raw read (a download) asks for one byte more than a function may receive, so an object of any
  // size costs at most that much here; the total in Content-Range says whether it was all of it.
  const bounded = payload.raw === true && method === 'GET'
  if (bounded) headers.range = `bytes=0-${options.maxPayloadBytes}`
  const qs = query.toString()
  const response = await options.http({
    method: method as 'GET',
    url: qs ? `${path}?${qs}` : path,
    headers,
    ...(body !== undefined ? { payload: body } : {}),
  })
  const contentType = String(response.headers['content-type'] ?? '')
  if (bounded) return boundedRead(response, contentType, options.maxPayloadBytes)
  if (response.statusCode >= 400) throw toHostError(response.statusCode, response.rawPayload)
  if (response.rawPayload.length > options.maxPayloadBytes) throw tooLarge(options.maxPayloadBytes)
  if (payload.raw === true) {
    return { value: { status: response.statusCode, contentType }, bytes: response.rawPayload }
  }
  if (response.statusCode === 204 || response.rawPayload.length === 0) return { value: null }
  // Parsed inside the isolate, off the host's thread: the host only checks its size.
  if (contentType.includes('json')) return { json: response.rawPayload.toString('utf8') }
  return { value: response.rawPayload.toString('utf8') }
}

/** The answer of a download asked for with a bounded Range (see `request`). */
function boundedRead(
  response: Awaited<ReturnType<InternalHttp>>,
  contentType: string,
  maxBytes: number,
): HostAnswer {
  const range = String(response.headers['content-range'] ?? '')
  const total = /\/(\d+)$/.exec(range)?.[1]
  // An empty object cannot satisfy any range: it answers 416 with `bytes */0`.
  if (response.statusCode === 416 && total === '0') {
    return { value: { status: 200, contentType }, bytes: new Uint8Array(0) }
  }
  if (response.statusCode >= 400) throw toHostError(response.statusCode, response.rawPayload)
  if ((total !== undefined && Number(total) > maxBytes) || response.rawPayload.length > maxBytes) {
    throw tooLarge(maxBytes)
  }
  return { value: { status: 200, contentType }, bytes: response.rawPayload }
}

function bufferOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function tooLarge(maxBytes: number): HostCallError {
  return new HostCallError(
    'request/too-large',
    `The response is larger than the ${maxBytes} bytes a function may receive (FUNCTIONS_MAX_PAYLOAD_BYTES)`,
    413,
  )
}

function toHostError(status: number, raw: Buffer): HostCallError {
  try {
    const body = JSON.parse(raw.subarray(0, 64 * 1024).toString('utf8')) as {
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
  body: Uint8Array | string | undefined,
  deadline: number,
): Promise<HostAnswer> {
  if (!options.allowFetch)
    throw new HostCallError('auth/forbidden', 'fetch is disabled (FUNCTIONS_ALLOW_FETCH)')
  let url: URL
  try {
    url = new URL(String(payload.url))
  } catch {
    throw new HostCallError('request/invalid', `Invalid URL ${String(payload.url).slice(0, 200)}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new HostCallError('request/invalid', 'fetch supports http: and https: URLs only')
  }
  const headers: Record<string, string> = {}
  if (payload.headers && typeof payload.headers === 'object') {
    for (const [key, value] of Object.entries(payload.headers as Record<string, unknown>))
      headers[key] = String(value)
  }
  const signal = AbortSignal.timeout(Math.max(1, deadline - Date.now()))
  let response: Response
  let data: Uint8Array
  try {
    response = await fetch(url, {
      method: String(payload.method ?? 'GET'),
      headers,
      body,
      redirect: 'follow',
      signal,
    })
    data = await readBounded(response, options.maxPayloadBytes)
  } catch (error) {
    if (error instanceof HostCallError) throw error
    throw new HostCallError(
      'functions/failed',
      `fetch failed: ${error instanceof Error ? error.message : String(error)}`,
    )
  }
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

/** A response body, read only as far as `maxBytes`: a larger one is cancelled, never buffered whole. */
async function readBounded(response: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined)
    throw tooLarge(maxBytes)
  }
  if (!response.body) return new Uint8Array(0)
  const chunks: Uint8Array[] = []
  let size = 0
  const reader = response.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined)
      throw tooLarge(maxBytes)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks, size)
}
