import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { StorageRouteDeps } from './deps.ts'
import { bucketParams, errorResponse, objectSchema } from './schemas.ts'

const listSchema = {
  tags: ['storage'],
  summary: 'List objects in key order (the ones the caller may read), or one folder level',
  description:
    'Keys are ordered by code point (UTF-8 byte order). With `delimiter` (e.g. `/`), keys that go on past ' +
    'the delimiter after `prefix` are rolled up into `prefixes` ("folders", like S3 common prefixes, each ' +
    'ending with the delimiter); `limit` counts objects and prefixes together. Pass the same prefix and ' +
    'delimiter with `cursor`. A caller whose read rule filters objects sees a folder when one of its first ' +
    '100 objects is readable.',
  params: bucketParams,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      prefix: { type: 'string', maxLength: 1024 },
      limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
      cursor: { type: 'string', minLength: 1, maxLength: 2048 },
      delimiter: { type: 'string', minLength: 1, maxLength: 1, description: 'one character, usually /' },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['objects', 'nextCursor'],
      additionalProperties: false,
      properties: {
        objects: { type: 'array', items: objectSchema },
        prefixes: {
          type: 'array',
          items: { type: 'string' },
          description: 'with a delimiter only: the folders at this level',
        },
        nextCursor: { type: ['string', 'null'] },
      },
    },
    '4xx': errorResponse,
  },
} as const

/** GET /list/{bucket}?prefix&limit&cursor&delimiter → {objects, prefixes?, nextCursor}. */
export async function listRoutes(app: FastifyInstance, deps: StorageRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.get('/list/:bucket', { schema: listSchema }, async (request) =>
    deps.service.list(request.auth, request.params.bucket, request.query),
  )
}
