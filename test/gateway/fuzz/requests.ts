import fc from 'fast-check'
import { anyJson, invalid, NASTY_STRINGS, type Resolve, type Schema, valid } from './schema-arbitrary.ts'

/** Who sends a request: nobody, a signed-in app user, or the service key. */
export type Identity = 'anonymous' | 'user' | 'service'
export const IDENTITIES: readonly Identity[] = ['anonymous', 'user', 'service']

/** One generated request, as saved in fuzz-failures/ and replayed (the token is added when sent). */
export interface FuzzRequest {
  /** The operation it was generated from, `GET /db/v1/collections/{col}/documents`. */
  operation: string
  identity: Identity
  method: string
  /** The path and query string, percent-encoded as sent. */
  path: string
  contentType?: string
  body?: string
}

/** An operation of the OpenAPI document, as the generator reads it. */
export interface Operation {
  method: string
  path: string
  parameters?: { name: string; in: string; required?: boolean; schema?: Schema }[]
  requestBody?: { content?: Record<string, { schema?: Schema }> }
}

/** Values of path parameters that name things the suite created, so requests get past "not found". */
export type KnownValues = Record<string, readonly string[]>

/** Path parameters that may hold slashes (the wildcards): encoded segment by segment. */
const MULTI_SEGMENT = new Set(['key', 'path'])

/** Path bytes sent as they are, not encoded: what a URL parser would refuse or normalise. */
const RAW_SEGMENTS = ['%', '%zz', '%E0%A4%A', '..', '.%2e', '%2e%2e', '%2F', '%00', '%ud800', '~', '%C0%AE']

function text(value: unknown): string {
  if (typeof value === 'string') return value
  if (value === undefined) return ''
  if (typeof value === 'object' && value !== null) return JSON.stringify(value)
  return String(value)
}

/** encodeURIComponent, also for lone surrogates (sent as the UTF-8 of U+FFFD, as a browser would). */
function encode(value: string): string {
  let out = ''
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte)
    out += /[A-Za-z0-9\-_.!~*'()]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

function encodeParam(name: string, value: string): string {
  return MULTI_SEGMENT.has(name) ? value.split('/').map(encode).join('/') : encode(value)
}

function pathParam(name: string, schema: Schema | undefined, known: KnownValues, resolve: Resolve) {
  const options: fc.Arbitrary<string>[] = [
    valid(schema, resolve).map((v) => encodeParam(name, text(v))),
    fc.constantFrom(...NASTY_STRINGS).map((v) => encodeParam(name, v)),
    fc.constantFrom(...RAW_SEGMENTS),
  ]
  const values = known[name]
  const weighted = values?.length
    ? [{ arbitrary: fc.constantFrom(...values).map((v) => encodeParam(name, v)), weight: 6 }]
    : []
  return fc.oneof(...weighted, ...options.map((arbitrary) => ({ arbitrary, weight: 1 })))
}

function queryValue(schema: Schema | undefined, resolve: Resolve): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: valid(schema, resolve).map(text), weight: 4 },
    { arbitrary: fc.constantFrom(...NASTY_STRINGS), weight: 2 },
    { arbitrary: anyJson.map(text), weight: 1 },
  )
}

/** The size of the oversized bodies: more than the fuzz suite's BODY_LIMIT_BYTES. */
export const OVERSIZED_BYTES = 96 * 1024

const METHODS_WITH_BODY = new Set(['post', 'put', 'patch', 'delete'])

/** A body and its content type: valid JSON, JSON that breaks the schema, malformed text, or bytes. */
function bodyFor(
  operation: Operation,
  resolve: Resolve,
): fc.Arbitrary<{ contentType?: string; body?: string }> {
  const json = operation.requestBody?.content?.['application/json']
  const malformed = fc.constantFrom(
    '{',
    '{"a":',
    '[1,]',
    'null',
    '""',
    '{"a":1}{',
    '\u0000',
    '{"a":1e400}',
    '{"__proto__":{"x":1}}',
  )
  const choices: { arbitrary: fc.Arbitrary<{ contentType?: string; body?: string }>; weight: number }[] = [
    { arbitrary: malformed.map((body) => ({ contentType: 'application/json', body })), weight: 1 },
    {
      arbitrary: fc.string({ maxLength: 64 }).map((body) => ({ contentType: 'text/plain', body })),
      weight: 1,
    },
    { arbitrary: fc.constant({}), weight: 1 },
    // Over the body limit the fuzz suite sets (64 KiB): refused before it is read, then drained.
    {
      arbitrary: fc.constantFrom('application/json', 'application/octet-stream').map((contentType) => ({
        contentType,
        body: JSON.stringify({ data: 'x'.repeat(OVERSIZED_BYTES) }),
      })),
      weight: 1,
    },
  ]
  if (json) {
    choices.push(
      {
        arbitrary: valid(json.schema, resolve).map((v) => ({
          contentType: 'application/json',
          body: JSON.stringify(v),
        })),
        weight: 8,
      },
      {
        arbitrary: invalid(json.schema, resolve).map((v) => ({
          contentType: 'application/json',
          body: JSON.stringify(v) ?? 'null',
        })),
        weight: 4,
      },
    )
  } else if (METHODS_WITH_BODY.has(operation.method)) {
    choices.push(
      {
        arbitrary: fc.uint8Array({ maxLength: 256 }).map((bytes) => ({
          contentType: 'application/octet-stream',
          body: Buffer.from(bytes).toString('latin1'),
        })),
        weight: 3,
      },
      {
        arbitrary: anyJson.map((v) => ({
          contentType: 'application/json',
          body: JSON.stringify(v) ?? 'null',
        })),
        weight: 2,
      },
    )
  }
  return fc.oneof(...choices)
}

/** Requests for one operation, from its parameters' and body's schemas, as any identity. */
export function requestsFor(
  operation: Operation,
  known: KnownValues,
  resolve: Resolve,
): fc.Arbitrary<FuzzRequest> {
  const params = operation.parameters ?? []
  const pathParams = params.filter((p) => p.in === 'path')
  const queryParams = params.filter((p) => p.in === 'query')
  const path = fc
    .tuple(...pathParams.map((p) => pathParam(p.name, p.schema, known, resolve)))
    .map((values) => pathParams.reduce((url, p, i) => url.replace(`{${p.name}}`, values[i]!), operation.path))
  const query = fc
    .tuple(
      ...queryParams.map((p) =>
        fc.option(queryValue(p.schema, resolve), { nil: undefined, freq: p.required ? 8 : 2 }),
      ),
      fc.option(
        fc.tuple(fc.constantFrom('unknown', '__proto__', 'limit[]'), fc.constantFrom(...NASTY_STRINGS)),
        {
          nil: undefined,
          freq: 4,
        },
      ),
    )
    .map((values) => {
      const search = new URLSearchParams()
      queryParams.forEach((p, i) => {
        const value = values[i] as string | undefined
        if (value !== undefined) search.append(p.name, value)
      })
      const extra = values[queryParams.length] as [string, string] | undefined
      if (extra) search.append(extra[0], extra[1])
      const qs = search.toString()
      return qs ? `?${qs}` : ''
    })
  return fc
    .record({
      identity: fc.constantFrom(...IDENTITIES),
      path,
      query,
      body: METHODS_WITH_BODY.has(operation.method) ? bodyFor(operation, resolve) : fc.constant({}),
    })
    .map(({ identity, path, query, body }) => ({
      operation: `${operation.method.toUpperCase()} ${operation.path}`,
      identity,
      method: operation.method.toUpperCase(),
      path: path + query,
      ...body,
    }))
}
