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

const bulkRetrySchema = {
  tags: ['admin', 'functions'],
  summary: 'Run many dead letters again, each on its function’s live version',
  description:
    'Name them by `ids`, by `function`, or `all: true` (exactly one). At most 10,000 per call, oldest first: `remaining` says how many still wait.',
  body: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ids: {
        type: 'array',
        minItems: 1,
        maxItems: 1000,
        items: { type: 'string', minLength: 1, maxLength: 100 },
      },
      function: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
      all: { type: 'boolean', description: 'Every dead letter (true)' },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['retried', 'remaining'],
      additionalProperties: false,
      properties: {
        retried: { type: 'integer', description: 'Dead letters queued to run again (they leave the list)' },
        remaining: { type: 'integer', description: 'Dead letters of the selection still waiting' },
      },
    },
    '4xx': errorResponse,
  },
} as const

const purgeSchema = {
  tags: ['admin', 'functions'],
  summary: 'Delete the dead letters of one function, or all of them, without running them',
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      function: {
        type: 'string',
        pattern: '^[A-Za-z0-9_-]{1,64}$',
        description: "Only this function's (absent: every dead letter)",
      },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['deleted'],
      additionalProperties: false,
      properties: { deleted: { type: 'integer' } },
    },
    '4xx': errorResponse,
  },
} as const

const deleteSchema = {
  tags: ['admin', 'functions'],
  summary: 'Delete one dead letter without running it',
  params: retrySchema.params,
  response: { 204: { type: 'null' }, '4xx': errorResponse },
} as const

/**
 * GET /dead-letters, POST /dead-letters/{id}/retry, POST /dead-letters/retry (bulk),
 * DELETE /dead-letters (purge) and DELETE /dead-letters/{id}.
 */
export async function adminDeadLetterRoutes(app: FastifyInstance, deps: FunctionsRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.get('/dead-letters', { schema: listSchema }, async (request) => deps.service.deadLetters(request.query))
  r.post('/dead-letters/:id/retry', { schema: retrySchema }, async (request, reply) =>
    reply.code(202).send(await deps.service.retryDeadLetter(request.params.id)),
  )
  r.post('/dead-letters/retry', { schema: bulkRetrySchema }, async (request) =>
    deps.service.retryDeadLetters(request.body),
  )
  r.delete('/dead-letters', { schema: purgeSchema }, async (request) =>
    deps.service.purgeDeadLetters(request.query),
  )
  r.delete('/dead-letters/:id', { schema: deleteSchema }, async (request, reply) => {
    await deps.service.deleteDeadLetter(request.params.id)
    return reply.code(204).send(null)
  })
}
