import { isUtf8 } from 'node:buffer'
import type { HttpRequestData, HttpRequestMeta } from '../../services/functions/model.ts'
import { PORTABLE_ACCOUNT } from './identity.ts'

// A portable handler's HTTP trigger speaks API Gateway's REST API Lambda proxy integration (payload
// format 1.0): the request becomes its proxy event, and the handler's proxy response becomes the HTTP
// answer. The function's URL, /functions/v1/{name}[/{proxy+}], plays the part of an API whose stage is
// `v1` with two resources: `/` and the greedy `/{proxy+}` below it.

/** The API Gateway REST proxy event (v1) a portable handler gets on an HTTP trigger. */
export interface ApiGatewayProxyEvent {
  resource: '/' | '/{proxy+}'
  /** The path below the function's URL: `/` or `/orders/42`. */
  path: string
  httpMethod: string
  /** The last value of each header (names as the client spelled them). */
  headers: Record<string, string>
  multiValueHeaders: Record<string, string[]>
  /** The last value of each query parameter; null without a query. */
  queryStringParameters: Record<string, string> | null
  multiValueQueryStringParameters: Record<string, string[]> | null
  pathParameters: { proxy: string } | null
  stageVariables: null
  requestContext: ApiGatewayRequestContext
  /** The body as text, or in base64 (`isBase64Encoded`); null without a body. */
  body: string | null
  isBase64Encoded: boolean
}

export interface ApiGatewayRequestContext {
  accountId: string
  apiId: string
  stage: string
  /** The id of the request's `http.request` event, which the execution records as its event id. */
  requestId: string
  /** `09/Apr/2015:12:34:56 +0000`. */
  requestTime: string
  requestTimeEpoch: number
  /** The whole URL path, function prefix included: `/functions/v1/orders/42`. */
  path: string
  resourcePath: '/' | '/{proxy+}'
  httpMethod: string
  protocol: string
  domainName: string | null
  identity: { sourceIp: string; userAgent: string | null }
  /** The signed-in caller: its id as `principalId` and its token's claims. Absent for an anonymous call. */
  authorizer?: { principalId: string | null; claims: Record<string, unknown> }
}

/** The `http.request` CloudEvent's parts that the proxy event reuses. */
interface HttpEventParts {
  id: string
  time: string
  data: HttpRequestData
}

/** Stands in for the client's address when there was no client: a rerun an operator started. */
const NO_CLIENT_IP = '127.0.0.1'

/** The proxy event of `event` (an `http.request` CloudEvent) for function `name`. */
export function apiGatewayEvent(
  name: string,
  event: HttpEventParts,
  meta?: HttpRequestMeta,
): ApiGatewayProxyEvent {
  const request = event.data
  const { headers, multiValueHeaders } = meta
    ? headersOfRaw(meta.rawHeaders)
    : headersOfParsed(request.headers)
  const query = queryOf(request.query)
  const path = request.path || '/'
  const resource = path === '/' ? '/' : '/{proxy+}'
  const contentType = headerValue(request.headers, 'content-type')
  const body = bodyOf(meta?.body, request.body, contentType)
  const time = Date.parse(event.time)
  const auth = request.auth as { uid?: unknown; claims?: unknown } | null | undefined
  return {
    resource,
    path,
    httpMethod: request.method,
    headers,
    multiValueHeaders,
    queryStringParameters: query ? query.single : null,
    multiValueQueryStringParameters: query ? query.multi : null,
    pathParameters: path === '/' ? null : { proxy: path.slice(1) },
    stageVariables: null,
    requestContext: {
      accountId: PORTABLE_ACCOUNT,
      apiId: 'functions',
      stage: 'v1',
      requestId: event.id,
      requestTime: clfTime(time),
      requestTimeEpoch: time,
      path: meta ? urlPath(meta.url) : `/functions/v1/${name}${path === '/' ? '' : path}`,
      resourcePath: resource,
      httpMethod: request.method,
      protocol: meta?.protocol ?? 'HTTP/1.1',
      domainName: headerValue(request.headers, 'host') ?? null,
      identity: {
        sourceIp: meta?.sourceIp ?? NO_CLIENT_IP,
        userAgent: headerValue(request.headers, 'user-agent') ?? null,
      },
      ...(auth
        ? {
            authorizer: {
              principalId: typeof auth.uid === 'string' ? auth.uid : null,
              claims:
                auth.claims && typeof auth.claims === 'object'
                  ? (auth.claims as Record<string, unknown>)
                  : {},
            },
          }
        : {}),
    },
    body: body.text,
    isBase64Encoded: body.base64,
  }
}

/** Headers as the client sent them: each name as spelled, each value in order (the last in `headers`). */
function headersOfRaw(raw: readonly string[]): {
  headers: Record<string, string>
  multiValueHeaders: Record<string, string[]>
} {
  const headers: Record<string, string> = {}
  const multiValueHeaders: Record<string, string[]> = {}
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!
    const value = raw[i + 1]!
    headers[name] = value
    const values = multiValueHeaders[name]
    if (values) values.push(value)
    else multiValueHeaders[name] = [value]
  }
  return { headers, multiValueHeaders }
}

/** Headers as Node parsed them (lower-case names; a repeated header is an array or joined). */
function headersOfParsed(parsed: Record<string, unknown>): {
  headers: Record<string, string>
  multiValueHeaders: Record<string, string[]>
} {
  const headers: Record<string, string> = {}
  const multiValueHeaders: Record<string, string[]> = {}
  for (const [name, value] of Object.entries(parsed)) {
    const values = Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)]
    if (values.length === 0) continue
    headers[name] = values[values.length - 1]!
    multiValueHeaders[name] = values
  }
  return { headers, multiValueHeaders }
}

function headerValue(headers: Record<string, unknown>, name: string): string | undefined {
  const value = headers[name]
  if (typeof value === 'string') return value
  if (Array.isArray(value) && value.length > 0) return String(value[value.length - 1])
  return undefined
}

function queryOf(
  query: Record<string, unknown>,
): { single: Record<string, string>; multi: Record<string, string[]> } | null {
  const single: Record<string, string> = {}
  const multi: Record<string, string[]> = {}
  let any = false
  for (const [name, value] of Object.entries(query ?? {})) {
    const values = Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)]
    if (values.length === 0) continue
    single[name] = values[values.length - 1]!
    multi[name] = values
    any = true
  }
  return any ? { single, multi } : null
}

function urlPath(url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

/**
 * Content types whose bodies reach a portable handler as text (when they are valid UTF-8): every other
 * body arrives in base64, as on an API whose binary media types are all the non-text ones.
 */
const TEXT_TYPES = new Set([
  'application/json',
  'application/xml',
  'application/javascript',
  'application/x-www-form-urlencoded',
  'application/graphql',
  'application/x-ndjson',
])

function isTextType(contentType: string | undefined): boolean {
  if (contentType === undefined) return true
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase()
  return (
    type === '' ||
    type.startsWith('text/') ||
    TEXT_TYPES.has(type) ||
    type.endsWith('+json') ||
    type.endsWith('+xml')
  )
}

/**
 * The proxy event's body: from the bytes received when they were kept (a text type that is valid
 * UTF-8 as text, anything else in base64), else rebuilt from the parsed body (a string as it is, a
 * JSON value serialised again; in base64 too when its type is not a text type).
 */
function bodyOf(
  bytes: Uint8Array | undefined,
  parsed: unknown,
  contentType: string | undefined,
): { text: string | null; base64: boolean } {
  if (bytes !== undefined) {
    if (bytes.byteLength === 0) return { text: null, base64: false }
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    if (isTextType(contentType) && isUtf8(buffer)) return { text: buffer.toString('utf8'), base64: false }
    return { text: buffer.toString('base64'), base64: true }
  }
  if (parsed === null || parsed === undefined || parsed === '') return { text: null, base64: false }
  const text = typeof parsed === 'string' ? parsed : JSON.stringify(parsed)
  return isTextType(contentType)
    ? { text, base64: false }
    : { text: Buffer.from(text, 'utf8').toString('base64'), base64: true }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** `09/Apr/2015:12:34:56 +0000`: the request time as API Gateway writes it (common log format, UTC). */
function clfTime(ms: number): string {
  const d = new Date(ms)
  const two = (n: number) => String(n).padStart(2, '0')
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`
}

/** A proxy response read and checked: what the HTTP answer is made of. */
export interface ProxyResponse {
  status: number
  headers: Record<string, string | string[]>
  /** Bytes for a base64 body; undefined for none. */
  body: string | Buffer | undefined
}

/** The keys a proxy response may have: anything else makes it malformed, as API Gateway's REST API says. */
const PROXY_KEYS = new Set(['statusCode', 'headers', 'multiValueHeaders', 'body', 'isBase64Encoded'])
/** Headers the server sets itself from the body it sends: a handler's would contradict them. */
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection'])
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/**
 * Reads a portable handler's result as a Lambda proxy response: the response, or why it is malformed
 * (the HTTP call then answers 502, as API Gateway does). `{statusCode}` (an integer 200-599) is
 * required; `headers` values and `multiValueHeaders` arrays are strings (numbers and booleans are
 * taken as their text); `body` is a string, null or absent; `isBase64Encoded: true` means the body is
 * base64, sent as its bytes. A header in both maps is sent with its `multiValueHeaders` values only.
 * Without a content type, the answer is `application/json`, as API Gateway's is.
 */
export function readProxyResponse(result: unknown): ProxyResponse | { problem: string } {
  if (!result || typeof result !== 'object' || Array.isArray(result)) {
    return { problem: `the handler returned ${describe(result)}, not an object with a statusCode` }
  }
  const r = result as Record<string, unknown>
  const unknown = Object.keys(r).filter((k) => !PROXY_KEYS.has(k))
  if (unknown.length > 0) {
    return {
      problem: `unexpected ${unknown.length === 1 ? 'key' : 'keys'} ${unknown.map((k) => JSON.stringify(k)).join(', ')} (a proxy response has statusCode, headers, multiValueHeaders, body and isBase64Encoded)`,
    }
  }
  const status = r.statusCode
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
    return { problem: `statusCode must be an integer from 200 to 599 (got ${describe(status)})` }
  }
  const headers: Record<string, string | string[]> = {}
  if (r.headers !== undefined && r.headers !== null) {
    if (typeof r.headers !== 'object' || Array.isArray(r.headers))
      return { problem: 'headers must be an object' }
    for (const [name, value] of Object.entries(r.headers as Record<string, unknown>)) {
      if (!isHeaderScalar(value))
        return { problem: `headers.${name} must be a string (got ${describe(value)})` }
      headers[name.toLowerCase()] = String(value)
    }
  }
  if (r.multiValueHeaders !== undefined && r.multiValueHeaders !== null) {
    if (typeof r.multiValueHeaders !== 'object' || Array.isArray(r.multiValueHeaders)) {
      return { problem: 'multiValueHeaders must be an object of arrays' }
    }
    for (const [name, values] of Object.entries(r.multiValueHeaders as Record<string, unknown>)) {
      if (!Array.isArray(values) || !values.every(isHeaderScalar)) {
        return { problem: `multiValueHeaders.${name} must be an array of strings (got ${describe(values)})` }
      }
      if (values.length > 0) headers[name.toLowerCase()] = values.map(String)
    }
  }
  for (const name of FRAMING_HEADERS) delete headers[name]
  headers['content-type'] ??= 'application/json'
  if (
    r.isBase64Encoded !== undefined &&
    r.isBase64Encoded !== null &&
    typeof r.isBase64Encoded !== 'boolean'
  ) {
    return { problem: `isBase64Encoded must be a boolean (got ${describe(r.isBase64Encoded)})` }
  }
  const body = r.body
  if (body === undefined || body === null) return { status, headers, body: undefined }
  if (typeof body !== 'string') {
    return {
      problem: `body must be a string (got ${describe(body)}): serialise it, e.g. JSON.stringify(value)`,
    }
  }
  if (r.isBase64Encoded === true) {
    if (!BASE64.test(body)) return { problem: 'isBase64Encoded is true but body is not base64' }
    return { status, headers, body: Buffer.from(body, 'base64') }
  }
  return { status, headers, body }
}

function isHeaderScalar(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return 'an object'
  if (typeof value === 'string') return value.length > 40 ? 'a string' : JSON.stringify(value)
  return typeof value === 'undefined' ? 'nothing' : `${typeof value} ${String(value)}`
}
