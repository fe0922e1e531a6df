import { ERROR_STATUS } from '../services/core/errors.ts'
import { DEFAULT_ERROR_RESPONSE } from '../services/gateway/openapi.ts'
import { DRAIN_MAX_BYTES, DRAIN_MAX_MS } from '../services/gateway/plugins/bounded-drain.ts'

/** The parts of an OpenAPI 3.1 document the reference renders. */
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>
  components?: { schemas?: Record<string, Schema> }
}
interface Operation {
  summary?: string
  description?: string
  tags?: string[]
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: Schema }[]
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> }
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>
  security?: Record<string, string[]>[]
}
type Schema = {
  $ref?: string
  type?: string | string[]
  enum?: unknown[]
  const?: unknown
  format?: string
  description?: string
  properties?: Record<string, Schema>
  required?: string[]
  additionalProperties?: boolean | Schema
  items?: Schema
  prefixItems?: Schema[]
  oneOf?: Schema[]
  anyOf?: Schema[]
}

const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete', 'options']

const TAG_TITLES: Record<string, string> = {
  auth: 'Auth (`/auth/v1`)',
  db: 'Documents (`/db/v1`)',
  storage: 'Storage (`/storage/v1`)',
  functions: 'Functions (`/functions/v1`)',
  queue: 'Queues (`/queue/v1`)',
  realtime: 'Realtime (`/realtime/v1`)',
}

/** A TypeScript-like rendering of a JSON Schema: readable, not a validator (the JSON document is that). */
export function shape(schema: Schema | boolean | undefined, depth = 0): string {
  if (schema === undefined || schema === true) return 'any'
  if (schema === false) return 'never'
  if (schema.$ref) return schema.$ref.slice(schema.$ref.lastIndexOf('/') + 1)
  if (schema.const !== undefined) return JSON.stringify(schema.const)
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ')
  const union = schema.oneOf ?? schema.anyOf
  if (union) return union.map((s) => shape(s, depth)).join(' | ')
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : []
  if (types.length > 1) return types.map((t) => shape({ ...schema, type: t }, depth)).join(' | ')
  const pad = '  '.repeat(depth)
  switch (types[0]) {
    case 'object': {
      const props = Object.entries(schema.properties ?? {})
      if (!props.length) {
        const extra = schema.additionalProperties
        return extra && extra !== true ? `{ [key: string]: ${shape(extra, depth)} }` : 'object'
      }
      const required = new Set(schema.required ?? [])
      const lines = props.map(([name, prop]) => {
        const key = /^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name)
        const note = prop.description ? ` // ${prop.description.replace(/\s+/g, ' ')}` : ''
        return `${pad}  ${key}${required.has(name) ? '' : '?'}: ${shape(prop, depth + 1)}${note}`
      })
      return `{\n${lines.join('\n')}\n${pad}}`
    }
    case 'array': {
      if (schema.prefixItems) return `[${schema.prefixItems.map((s) => shape(s, depth)).join(', ')}]`
      const item = shape(schema.items, depth)
      return item.includes('|') && !item.startsWith('{') ? `(${item})[]` : `${item}[]`
    }
    case 'integer':
    case 'number':
      return 'number'
    case 'string':
      return schema.format ? `string /* ${schema.format} */` : 'string'
    case 'boolean':
    case 'null':
      return types[0]
    default:
      return 'any'
  }
}

const SCHEME_NAMES: Record<string, string> = {
  bearer: 'a bearer token',
  adminSession: 'the console session cookie',
}

/** An operation's `security` in words: each alternative, `{}` being "none". */
function credentials(security: Record<string, string[]>[]): string {
  return security
    .map((alternative) => {
      const schemes = Object.keys(alternative)
      return schemes.length ? schemes.map((s) => SCHEME_NAMES[s] ?? s).join(' and ') : 'none'
    })
    .join(', or ')
}

const cell = (text: string) => text.replace(/\s+/g, ' ').replaceAll('|', '\\|')

function renderOperation(method: string, path: string, op: Operation): string {
  const out = [`### \`${method.toUpperCase()} ${path}\``, '']
  if (op.summary) out.push(`${op.summary}.`.replace(/\.\.$/, '.'), '')
  if (op.description) out.push(op.description, '')
  if (op.security) out.push(`Credentials: ${credentials(op.security)}.`, '')
  if (op.parameters?.length) {
    out.push('| parameter | in | required | type | notes |', '| --- | --- | --- | --- | --- |')
    for (const p of op.parameters) {
      const type = cell(shape(p.schema))
      out.push(
        `| \`${p.name}\` | ${p.in} | ${p.required ? 'yes' : 'no'} | \`${type}\` | ${cell(p.description ?? '')} |`,
      )
    }
    out.push('')
  }
  for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
    out.push(`Request body (\`${type}\`${op.requestBody?.required ? '' : ', optional'}):`, '')
    out.push('```ts', shape(media.schema), '```', '')
  }
  for (const [status, response] of Object.entries(op.responses ?? {})) {
    // The envelope every operation may answer with is in the conventions, not repeated per operation.
    if (status === '4XX' && response.description === DEFAULT_ERROR_RESPONSE.description) continue
    const described = response.description && response.description !== 'Default Response'
    const json = response.content?.['application/json']?.schema
    const head = `Response \`${status}\`${described ? `: ${response.description}` : ''}`
    if (json) out.push(`${head}:`, '', '```ts', shape(json), '```', '')
    else out.push(`${head}.`, '')
  }
  return out.join('\n')
}

/** docs/api.md: conventions, the error table, then every operation of the OpenAPI document by area. */
export function renderApiDocs(doc: OpenApiDocument): string {
  const sections = new Map<string, string[]>()
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method]
      if (!op) continue
      const area = path.startsWith('/admin/v1') ? 'admin' : (op.tags?.[0] ?? 'operations')
      const list = sections.get(area) ?? []
      list.push(renderOperation(method, path, op))
      sections.set(area, list)
    }
  }
  const order = ['operations', 'auth', 'db', 'storage', 'functions', 'queue', 'realtime', 'admin']
  const areas = [...sections.keys()].sort(
    (a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99) || a.localeCompare(b),
  )
  const title = (area: string) =>
    TAG_TITLES[area] ??
    (area === 'admin' ? 'Admin (`/admin/v1`)' : area === 'operations' ? 'Operations' : area)
  const errors = Object.entries(ERROR_STATUS).map(([code, status]) => `| \`${code}\` | ${status} |`)
  const components = Object.entries(doc.components?.schemas ?? {}).map(
    ([name, schema]) => `### \`${name}\`\n\n\`\`\`ts\n${shape(schema)}\n\`\`\`\n`,
  )
  return `<!-- Generated by scripts/gen-api-docs.ts from the gateway's /openapi.json: edit the route schemas, then \`npm run docs\`. -->

# HTTP API reference

Every route the gateway serves, with its parameters and the shapes of its bodies, generated from the
OpenAPI document a running server publishes at \`GET /openapi.json\` (browsable at \`/docs\`). The
shapes below are TypeScript-like sketches of the JSON Schemas; the JSON document has every constraint.
The WebSocket protocol is in [realtime.md](realtime.md); what each service guarantees beyond its
routes is in [auth.md](auth.md), [documents.md](documents.md), [storage.md](storage.md) and
[functions.md](functions.md).

## Conventions

- JSON in and out (\`content-type: application/json\`), except object bytes in storage.
- Identity: \`Authorization: Bearer <token>\`. No header is the role \`anon\`. The service key (a token
  with role \`service\`, printed at first start and by \`npx stratus keys\`) bypasses collection, bucket
  and queue rules and may call \`/admin/v1/*\`; an admin token may call \`/admin/v1/*\` within its role.
- Admins reach the data plane under \`/admin/v1/app\`: \`/admin/v1/app/db/v1/…\`, \`…/storage/v1/…\`,
  \`…/functions/v1/…\` and \`…/queue/v1/…\` answer as the routes below of the same path, above the rules,
  and are not listed again: see [admin.md](admin.md#the-app-api-for-the-console-adminv1app).
- Ids are URL-safe strings; clients may choose document ids (1-128 of \`[A-Za-z0-9_-]\`). Timestamps are
  ISO-8601 UTC strings.
- Every change is also an event (CloudEvents 1.0, with a project-wide increasing \`sequence\`) written
  in the same transaction: see [functions.md](functions.md#events) for the catalog.
- Every error is an HTTP status and \`{"error": {"code", "message", "details"?}}\`. A malformed body, an
  unknown field or an oversized payload is a 4xx, never a 500. The codes and their statuses:

| code | status |
| --- | --- |
${errors.join('\n')}

- Limits every route shares, refused before any route runs (details in
  [operations.md](operations.md#limits-and-refusals-at-the-gateway)): a JSON body over \`BODY_LIMIT_BYTES\`
  is 413 \`request/too-large\` (uploads have their bucket's \`maxFileSize\`: 413 \`storage/too-large\`), and
  the answer reaches the client because the server reads and discards the rest of a refused body (up
  to ${DRAIN_MAX_BYTES / 1024 / 1024} MiB and ${DRAIN_MAX_MS / 1000} s) before it closes; a number that is not finite (\`limit=Infinity\`,
  \`1e400\`), a lone surrogate in a JSON string, or a URL that does not percent-decode is 400
  \`request/invalid\`; a path parameter is at most 1,024 characters.
- Each operation names its credentials, as its \`security\` in the JSON document: "none" is the role
  \`anon\` (rules decide), "a bearer token" any token above, "the console session cookie" an admin's
  console session (changes also send \`x-csrf-token\`).

${areas.map((area) => `## ${title(area)}\n\n${sections.get(area)!.join('\n')}`).join('\n')}
## Shared schemas

${components.join('\n')}`
}
