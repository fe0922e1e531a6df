import type { SwaggerTransform, SwaggerTransformObject } from '@fastify/swagger'
import type { FastifySchema } from 'fastify'
import { adminRouteAccess } from './admin-access.ts'

// What turns fastify's routes into a valid OpenAPI 3.1 document (one that `redocly lint` passes with
// its recommended rules, and from which openapi-typescript generates a client that compiles). The
// route schemas stay what ajv validates requests with; only the published document is rewritten.

/** The security schemes every operation's `security` refers to. */
export const SECURITY_SCHEMES = {
  bearer: {
    type: 'http',
    scheme: 'bearer',
    description:
      'An access token (JWT) of an app user, the service key, an admin token, or an API key (`sk_…`, within its scopes).',
  },
  adminSession: {
    type: 'apiKey',
    in: 'cookie',
    name: 'stratus_admin',
    description:
      "The console's admin session cookie. Requests that change something also send the `stratus_csrf` cookie's value in an `x-csrf-token` header.",
  },
} as const

type Security = Record<string, string[]>[]

/** Admin routes: a bearer credential admitted by the admin guard, or the console's session cookie. */
const ADMIN_SECURITY: Security = [{ bearer: [] }, { adminSession: [] }]
/** Other routes: anonymous callers are the role `anon`; a bearer token, when sent, must be valid. */
const OPTIONAL_BEARER: Security = [{}, { bearer: [] }]
const ANONYMOUS: Security = [{}]

/** The methods an OpenAPI 3.1 path item may hold (fastify also routes QUERY, PROPFIND…). */
const PATH_ITEM_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'])

type Json = Record<string, unknown>

function defaultSecurity(method: string, url: string): Security {
  if (!url.startsWith('/admin/v1')) return OPTIONAL_BEARER
  return adminRouteAccess(method, url) === 'public' ? ANONYMOUS : ADMIN_SECURITY
}

/**
 * A route's wildcard (`/storage/v1/object/:bucket/*`) becomes a named path parameter: `{*}` is not a
 * name OpenAPI tools accept. The name is the `title` of the `*` parameter's schema (`key`, `path`), or
 * `path`. A `*` declared by a schema shared with a route that has no wildcard is dropped there.
 */
function nameWildcard(schema: Json, url: string): { schema: Json; url: string } {
  const params = schema.params as
    | { properties?: Record<string, { title?: string }>; required?: string[] }
    | undefined
  const star = params?.properties?.['*']
  if (!params || !star) return { schema, url }
  const { '*': _star, ...rest } = params.properties!
  const hasWildcard = url.endsWith('*')
  const name = star.title ?? 'path'
  const properties = hasWildcard ? { ...rest, [name]: star } : rest
  const required = (params.required ?? []).filter((p) => p !== '*')
  if (hasWildcard) required.push(name)
  return {
    schema: { ...schema, params: { ...params, properties, required } },
    url: hasWildcard ? `${url.slice(0, -1)}:${name}` : url,
  }
}

/** @fastify/swagger's per-route transform: wildcards named, and a `security` on every operation. */
export const transformRoute: SwaggerTransform = ({ schema, url, route }) => {
  // Routes without a schema reach here with none, whatever the type says.
  const { hide, ...base } = (schema ?? {}) as Json
  // @fastify/websocket hides its routes; ours are part of the contract (the upgrade, its query).
  const websocket = (route as { websocket?: boolean }).websocket === true
  if (hide && !websocket) return { schema: { ...base, hide } as FastifySchema, url }
  const method = Array.isArray(route.method) ? route.method[0]! : route.method
  // A plugin's root route (`/realtime/v1/`) is served with and without its slash: documented without.
  const named = nameWildcard(base, url.length > 1 ? url.replace(/\/$/, '') : url)
  const security = base.security ?? defaultSecurity(method, url)
  return { schema: { ...named.schema, security } as FastifySchema, url: named.url }
}

/**
 * Draft-07 tuples (`items: [a, b]`, `additionalItems`) as OpenAPI 3.1's JSON Schema 2020-12 says them
 * (`prefixItems`, `items`). In place: the document is a fresh object on every build.
 */
function rewriteTuples(node: unknown): void {
  const stack: unknown[] = [node]
  while (stack.length) {
    const value = stack.pop()
    if (!value || typeof value !== 'object') continue
    if (Array.isArray(value)) {
      stack.push(...value)
      continue
    }
    const schema = value as Json
    if (Array.isArray(schema.items)) {
      schema.prefixItems = schema.items
      if ('additionalItems' in schema) schema.items = schema.additionalItems
      else delete schema.items
      delete schema.additionalItems
    }
    stack.push(...Object.values(schema))
  }
}

/** `get /db/v1/collections/{col}/documents` → `getDbV1CollectionsByColDocuments`. */
function operationId(method: string, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((segment) => {
      const param = /^\{(.+)\}$/.exec(segment)
      return param ? `by-${param[1]}` : segment
    })
    .join('-')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
  return method + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')
}

/** The answer of an operation that documents no 4xx of its own: every route can refuse a request. */
export const DEFAULT_ERROR_RESPONSE = {
  description: 'The error envelope (see the error codes)',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
}

/**
 * @fastify/swagger's whole-document transform: methods OpenAPI 3.1 does not have are left out (the
 * routes that accept them say so), tuples rewritten, and every operation gets an id and, when it
 * documents none, the error envelope as its 4XX answer (every route can refuse a request).
 */
export const transformDocument: SwaggerTransformObject = (documentObject) => {
  if (!('openapiObject' in documentObject)) return documentObject.swaggerObject
  const doc = documentObject.openapiObject as Json & { paths?: Record<string, Record<string, Json>> }
  const taken = new Set<string>()
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, shared] of Object.entries(item)) {
      if (!PATH_ITEM_METHODS.has(method)) {
        delete item[method]
        continue
      }
      // A route with several methods shares one operation object between them: each gets its own id.
      const operation = { ...shared }
      item[method] = operation
      let id = (operation.operationId as string | undefined) ?? operationId(method, path)
      while (taken.has(id)) id = `${id}_`
      taken.add(id)
      operation.operationId = id
      const responses = (operation.responses ?? {}) as Record<string, unknown>
      if (!Object.keys(responses).some((status) => status.startsWith('4'))) {
        operation.responses = { ...responses, '4XX': DEFAULT_ERROR_RESPONSE }
      }
    }
  }
  rewriteTuples(doc)
  return doc
}
