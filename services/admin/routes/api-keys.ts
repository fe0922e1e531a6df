import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import { API_KEY_SCOPE_NAMES, API_KEY_SCOPES } from '../api-keys.ts'
import { auditActor } from './caller.ts'
import type { AdminRouteDeps } from './deps.ts'
import { errorResponse, idParams } from './schemas.ts'

const TAGS = ['admin', 'api keys']
const security = [{ bearer: [] }]

const scopesField = {
  type: 'array',
  items: { type: 'string', enum: API_KEY_SCOPE_NAMES },
  description: Object.entries(API_KEY_SCOPES)
    .map(([scope, what]) => `\`${scope}\`: ${what}`)
    .join('; '),
} as const

const actorSchema = {
  type: 'object',
  required: ['type'],
  additionalProperties: false,
  properties: {
    type: { type: 'string', enum: ['admin', 'service'] },
    id: { type: 'string', description: 'the admin, or `apikey:<id>` for a key that made a key' },
    email: { type: 'string' },
  },
} as const

const apiKeySchema = {
  type: 'object',
  required: ['id', 'name', 'scopes', 'expiresAt', 'createdAt', 'createdBy', 'lastUsedAt', 'revokedAt'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    scopes: scopesField,
    expiresAt: { type: ['string', 'null'], format: 'date-time', description: 'null: never' },
    createdAt: { type: 'string', format: 'date-time' },
    createdBy: actorSchema,
    lastUsedAt: {
      type: ['string', 'null'],
      format: 'date-time',
      description: 'when it was last presented, to the minute',
    },
    revokedAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const

const createSchema = {
  tags: TAGS,
  security,
  summary: 'Create an API key (owners, the service key, or a key with scope admin); the key is shown once',
  description:
    'The answer holds `key` (`sk_<id>_<secret>`), its only appearance: the server keeps its SHA-256. Use it as `Authorization: Bearer <key>` wherever the service key works, within its scopes. `expiresAt` and `expiresInDays` exclude each other; neither = never expires.',
  body: {
    type: 'object',
    required: ['name', 'scopes'],
    additionalProperties: false,
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 100 },
      // Checked by the service rather than by an enum here: its error names the unknown scope.
      scopes: {
        type: 'array',
        items: { type: 'string', minLength: 1, maxLength: 64 },
        minItems: 1,
        maxItems: 32,
        description: `one or more of ${API_KEY_SCOPE_NAMES.join(', ')} (see the answer's scopes)`,
      },
      expiresAt: { type: 'string', format: 'date-time' },
      expiresInDays: { type: 'integer', minimum: 1, maximum: 3650 },
    },
  },
  response: {
    201: {
      type: 'object',
      required: ['id', 'name', 'scopes', 'expiresAt', 'createdAt', 'createdBy', 'key'],
      additionalProperties: false,
      properties: {
        id: apiKeySchema.properties.id,
        name: apiKeySchema.properties.name,
        scopes: apiKeySchema.properties.scopes,
        expiresAt: apiKeySchema.properties.expiresAt,
        createdAt: apiKeySchema.properties.createdAt,
        createdBy: actorSchema,
        key: { type: 'string', description: 'the secret key, shown this once' },
      },
    },
    '4xx': errorResponse,
  },
} as const

const listSchema = {
  tags: TAGS,
  security,
  summary: 'Every API key, revoked and expired ones included, newest first (never a secret)',
  response: {
    200: {
      type: 'object',
      required: ['apiKeys'],
      additionalProperties: false,
      properties: { apiKeys: { type: 'array', items: apiKeySchema } },
    },
    '4xx': errorResponse,
  },
} as const

const apiKeyParams = {
  ...idParams,
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
} as const

const getSchema = {
  tags: TAGS,
  security,
  summary: 'One API key (never its secret)',
  params: apiKeyParams,
  response: { 200: apiKeySchema, '4xx': errorResponse },
} as const

const revokeSchema = {
  tags: TAGS,
  security,
  summary: 'Revoke an API key',
  description:
    'The node that answers refuses the key at once (401 `auth/unauthenticated`); every other node within 5 seconds. Revoking a revoked key changes nothing.',
  params: apiKeyParams,
  response: { 204: { type: 'null' }, '4xx': errorResponse },
} as const

/** /api-keys: scoped, revocable API keys (the gateway admits owners, the service key and `admin` keys). */
export async function apiKeyRoutes(app: FastifyInstance, deps: AdminRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()

  r.post('/api-keys', { schema: createSchema }, async (request, reply) => {
    const { apiKey, key } = await deps.apiKeys.create(request.body, auditActor(request.adminCaller!))
    const { id, name, scopes, expiresAt, createdAt, createdBy } = apiKey
    return reply.code(201).send({ id, name, scopes, expiresAt, createdAt, createdBy, key })
  })

  r.get('/api-keys', { schema: listSchema }, async () => ({ apiKeys: await deps.apiKeys.list() }))

  r.get('/api-keys/:id', { schema: getSchema }, async (request) => deps.apiKeys.get(request.params.id))

  r.delete('/api-keys/:id', { schema: revokeSchema }, async (request, reply) => {
    await deps.apiKeys.revoke(request.params.id)
    return reply.code(204).send(null)
  })
}
