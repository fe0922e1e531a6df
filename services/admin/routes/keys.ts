import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { AdminRouteDeps } from './deps.ts'
import { errorResponse } from './schemas.ts'

const security = [{ bearer: [] }]

const keysSchema = {
  tags: ['admin', 'admin accounts'],
  security,
  summary: "The project's current service key (owner only)",
  response: {
    200: {
      type: 'object',
      required: ['service'],
      additionalProperties: false,
      properties: { service: { type: 'string' } },
    },
    '4xx': errorResponse,
  },
} as const

const rotateSchema = {
  tags: ['admin', 'admin accounts'],
  security,
  summary: 'Add a signing key, which signs from now on (old tokens keep verifying); owner only',
  description:
    'The service key is re-issued with the new signing key; the previous one keeps working. To revoke it, use POST /admin/v1/keys/service/rotate.',
  response: {
    200: {
      type: 'object',
      required: ['kid', 'service'],
      additionalProperties: false,
      properties: {
        kid: { type: 'string' },
        service: { type: 'string', description: 'the new service key' },
      },
    },
    '4xx': errorResponse,
  },
} as const

const rotateServiceSchema = {
  tags: ['admin', 'admin accounts'],
  security,
  summary: 'Replace the service key: a new one is issued and every other one is revoked (owner only)',
  description:
    "The node that answers refuses the old service keys at once (401 `auth/unauthenticated`), every other node within 5 seconds. `id` is the new key's `jti`.",
  response: {
    200: {
      type: 'object',
      required: ['id', 'service'],
      additionalProperties: false,
      properties: {
        id: { type: 'string' },
        service: { type: 'string', description: 'the new service key' },
      },
    },
    '4xx': errorResponse,
  },
} as const

/** GET /keys, POST /keys/rotate and POST /keys/service/rotate: what `stratus keys` does, over HTTP. */
export async function keyRoutes(app: FastifyInstance, deps: AdminRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.get('/keys', { schema: keysSchema }, async () => ({ service: await deps.keys.currentServiceToken() }))
  r.post('/keys/rotate', { schema: rotateSchema }, async () => {
    const kid = await deps.keys.rotate()
    return { kid, service: deps.keys.serviceToken() }
  })
  r.post('/keys/service/rotate', { schema: rotateServiceSchema }, async () => deps.keys.rotateServiceKey())
}
