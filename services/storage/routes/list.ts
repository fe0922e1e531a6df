import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { StorageRouteDeps } from './deps.ts'
import { bucketParams, errorResponse, objectSchema } from './schemas.ts'

const listSchema = {
  tags: ['storage'],
  summary: 'List objects in key order (the ones the caller may read)',
  params: bucketParams,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      prefix: { type: 'string', maxLength: 1024 },
      limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
      cursor: { type: 'string', minLength: 1, maxLength: 2048 },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['objects', 'nextCursor'],
      additionalProperties: false,
      properties: {
        objects: { type: 'array', items: objectSchema },
        nextCursor: { type: ['string', 'null'] },
      },
    },
    '4xx': errorResponse,
  },
} as const

/** GET /list/{bucket}?prefix&limit&cursor → {objects, nextCursor}. */
export async function listRoutes(app: FastifyInstance, deps: StorageRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.get('/list/:bucket', { schema: listSchema }, async (request) =>
    deps.service.list(request.auth, request.params.bucket, request.query),
  )
}
