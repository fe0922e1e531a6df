import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { AdminRouteDeps } from './deps.ts'
import { errorResponse } from './schemas.ts'

const keysSchema = {
  tags: ['admin', 'admin accounts'],
  summary: "The project's service key (owner only)",
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
  summary: 'Add a signing key, which signs from now on (old tokens keep verifying); owner only',
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

/** GET /keys and POST /keys/rotate: what `stratus keys` does, over HTTP. */
export async function keyRoutes(app: FastifyInstance, deps: AdminRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.get('/keys', { schema: keysSchema }, async () => ({ service: deps.keys.serviceToken() }))
  r.post('/keys/rotate', { schema: rotateSchema }, async () => {
    const kid = await deps.keys.rotate()
    return { kid, service: deps.keys.serviceToken() }
  })
}
