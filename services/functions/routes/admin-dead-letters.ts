import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { FunctionsRouteDeps } from './deps.ts'
import { deadLetterSchema, errorResponse } from './schemas.ts'

const listSchema = {
  tags: ['admin', 'functions'],
  summary: 'Events whose last attempt failed and that are waiting for a retry, newest first',
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      function: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
      limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
      cursor: { type: 'string', minLength: 1, maxLength: 100 },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['deadLetters', 'nextCursor'],
      additionalProperties: false,
      properties: {
        deadLetters: { type: 'array', items: deadLetterSchema },
        nextCursor: { type: ['string', 'null'] },
      },
    },
    '4xx': errorResponse,
  },
} as const

const retrySchema = {
  tags: ['admin', 'functions'],
  summary: "Run a dead letter's event again, on its function's live version",
  params: {
    type: 'object',
    required: ['id'],
    additionalProperties: false,
    properties: { id: { type: 'string', minLength: 1, maxLength: 100 } },
  },
  response: {
    202: {
      type: 'object',
      required: ['id', 'function', 'version'],
      additionalProperties: false,
      properties: { id: { type: 'string' }, function: { type: 'string' }, version: { type: 'integer' } },
    },
    '4xx': errorResponse,
  },
} as const

/** GET /dead-letters and POST /dead-letters/{id}/retry. */
export async function adminDeadLetterRoutes(app: FastifyInstance, deps: FunctionsRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.get('/dead-letters', { schema: listSchema }, async (request) => deps.service.deadLetters(request.query))
  r.post('/dead-letters/:id/retry', { schema: retrySchema }, async (request, reply) =>
    reply.code(202).send(await deps.service.retryDeadLetter(request.params.id)),
  )
}
