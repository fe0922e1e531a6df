import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { HttpRequestData } from '../model.ts'
import type { FunctionsRouteDeps } from './deps.ts'
import { errorResponse, executionIdParams, executionSchema } from './schemas.ts'

const getSchema = {
  tags: ['admin', 'functions'],
  summary: 'One execution: its logs and error, why it ran, and the event it ran for',
  description:
    'The event comes from the outbox while it is kept (OUTBOX_RETENTION_HOURS), else from a dead letter of the same event; a schedule tick is rebuilt from its id. HTTP requests are never kept: `event` is null.',
  params: executionIdParams,
  response: {
    200: {
      ...executionSchema,
      required: [...executionSchema.required, 'function', 'origin', 'event', 'eventSource'],
      properties: {
        ...executionSchema.properties,
        function: { type: 'string' },
        origin: { anyOf: [executionSchema.properties.origin, { type: 'null' }] },
        event: { type: ['object', 'null'], additionalProperties: true },
        eventSource: {
          anyOf: [{ type: 'string', enum: ['outbox', 'dead-letter', 'schedule'] }, { type: 'null' }],
          description: 'Where `event` was found',
        },
      },
    },
    '4xx': errorResponse,
  },
} as const

const rerunSchema = {
  tags: ['admin', 'functions'],
  summary: "Run an execution's event again, as a new execution of the live version",
  description:
    'An event, queue, schedule or replay execution is queued once more under a new idempotency key (`<event id>.rerun.<n>`), so its earlier success does not skip it: 202 with the new execution id (one attempt: no retry, no dead letter). An HTTP execution keeps no request: send it as `request`; it runs at once and answers 200 with its outcome. 410 `functions/event-not-retained` once the event is gone.',
  params: executionIdParams,
  body: {
    type: ['object', 'null'],
    additionalProperties: false,
    properties: {
      request: {
        type: 'object',
        description: 'For an HTTP execution: the request to run it with (defaults: POST /, no body, no auth)',
        additionalProperties: false,
        properties: {
          method: { type: 'string', pattern: '^[A-Z]{1,16}$' },
          path: { type: 'string', pattern: '^/', maxLength: 2000 },
          headers: {
            type: 'object',
            maxProperties: 100,
            additionalProperties: { type: 'string', maxLength: 8000 },
          },
          query: {
            type: 'object',
            maxProperties: 100,
            additionalProperties: { type: 'string', maxLength: 8000 },
          },
          body: {},
          auth: { type: ['object', 'null'] },
        },
      },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['executionId', 'status', 'durationMs', 'response', 'error'],
      additionalProperties: false,
      properties: {
        executionId: { type: 'string' },
        status: { type: 'string', enum: ['succeeded', 'failed', 'timeout'] },
        durationMs: { type: 'number' },
        response: {
          type: ['object', 'null'],
          description: 'The HTTP answer a caller would have had (null unless it succeeded)',
          additionalProperties: false,
          properties: {
            status: { type: 'integer' },
            headers: {
              type: 'object',
              description: 'A header a portable handler gave several values (multiValueHeaders) is an array',
              additionalProperties: {
                anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
              },
            },
            body: {},
            isBase64Encoded: {
              type: 'boolean',
              description:
                "True when `body` is bytes that are not UTF-8 text (a portable handler's base64 body), given in base64",
            },
          },
        },
        error: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: { name: { type: 'string' }, message: { type: 'string' }, stack: { type: 'string' } },
        },
      },
    },
    202: {
      type: 'object',
      required: ['executionId'],
      additionalProperties: false,
      properties: {
        executionId: { type: 'string', description: 'GET /admin/v1/executions/{id} once it has run' },
      },
    },
    '4xx': errorResponse,
  },
} as const

/** GET /executions/{id} and POST /executions/{id}/rerun. */
export async function adminExecutionDetailRoutes(
  app: FastifyInstance,
  deps: FunctionsRouteDeps,
): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.get('/executions/:id', { schema: getSchema }, async (request) =>
    deps.service.execution(request.params.id),
  )
  r.post('/executions/:id/rerun', { schema: rerunSchema }, async (request, reply) => {
    const given = request.body?.request as Partial<HttpRequestData> | undefined
    const result = await deps.service.rerun(request.params.id, given)
    if (result.queued) return reply.code(202).send({ executionId: result.executionId })
    const { queued: _queued, ...ran } = result
    return reply.code(200).send(ran)
  })
}
