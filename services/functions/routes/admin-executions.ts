import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { FunctionsRouteDeps } from './deps.ts'
import { errorResponse, executionSchema, nameParams } from './schemas.ts'

const executionsSchema = {
  tags: ['admin', 'functions'],
  summary: 'Executions of a function, newest first',
  params: nameParams,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
      cursor: { type: 'string', minLength: 1, maxLength: 100 },
      status: { type: 'string', enum: ['succeeded', 'failed', 'timeout'] },
      trigger: { type: 'string', enum: ['http', 'event', 'schedule', 'queue', 'replay'] },
      eventId: { type: 'string', minLength: 1, maxLength: 300 },
      version: { type: 'integer', minimum: 1 },
      from: {
        type: 'string',
        minLength: 1,
        maxLength: 40,
        description: 'Executions begun at or after this ISO-8601 time (with a zone)',
      },
      to: {
        type: 'string',
        minLength: 1,
        maxLength: 40,
        description: 'Executions begun at or before this ISO-8601 time (with a zone)',
      },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['executions', 'nextCursor'],
      additionalProperties: false,
      properties: {
        executions: { type: 'array', items: executionSchema },
        nextCursor: { type: ['string', 'null'] },
      },
    },
    '4xx': errorResponse,
  },
} as const

/** GET /functions/{name}/executions. */
export async function adminExecutionRoutes(app: FastifyInstance, deps: FunctionsRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.get('/functions/:name/executions', { schema: executionsSchema }, async (request) =>
    deps.service.executions(request.params.name, request.query),
  )
}
