import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { ObservabilityRouteDeps } from './deps.ts'

const time = { type: 'string', format: 'date-time' } as const

const traceSchema = {
  tags: ['admin', 'observability'],
  summary: 'One trace as a tree of spans: the request, the events it wrote, the executions they ran…',
  description:
    'Rebuilt from the database, so any node answers for the whole cluster. Span kinds: `request` (an HTTP ' +
    'request that wrote events, or the derived caller of an HTTP invocation), `event` and `message` (an ' +
    'outbox event; `message` for a queue message), `execution` (one attempt of a function), `write` (a ' +
    'request a function made through `ctx`). Every `parentId` names a span of the answer; a parent the ' +
    'database does not hold is derived (`attributes.derived`), and the outside caller of a request that ' +
    'sent a `traceparent` is `attributes.remoteParentId`. Spans are oldest first.',
  params: {
    type: 'object',
    required: ['traceId'],
    properties: {
      traceId: {
        type: 'string',
        pattern: '^[0-9a-f]{32}$',
        description: 'The trace id: 32 lowercase hexadecimal digits (from a `traceparent`)',
      },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['traceId', 'spans'],
      additionalProperties: false,
      properties: {
        traceId: { type: 'string' },
        spans: {
          type: 'array',
          items: {
            type: 'object',
            required: ['id', 'kind', 'name', 'start', 'status', 'attributes'],
            additionalProperties: false,
            properties: {
              id: { type: 'string', description: 'The span id (16 hexadecimal digits)' },
              parentId: { type: 'string', description: 'The span this one was caused by' },
              kind: { type: 'string', enum: ['request', 'event', 'execution', 'write', 'message'] },
              name: {
                type: 'string',
                description: '`METHOD /route` for requests and writes, the event type, the function name',
              },
              start: time,
              end: time,
              status: {
                type: 'string',
                description:
                  'requests and writes: ok or error (see attributes.statusCode); events: published or ' +
                  'pending; executions: succeeded, failed or timeout; derived spans: unknown',
              },
              attributes: {
                type: 'object',
                additionalProperties: true,
                description:
                  'requests: method, route, path, statusCode, durationMs (writes: function); events: id, ' +
                  'type, subject, sequence (messages: queue); executions: executionId, function, version, ' +
                  'trigger, eventId, attempt, status, durationMs, coldStart, logs, error',
              },
            },
          },
        },
      },
    },
    '4xx': { $ref: 'Error#' },
  },
} as const

/** GET /traces/{traceId}. */
export async function tracesRoutes(app: FastifyInstance, deps: ObservabilityRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.get('/traces/:traceId', { schema: traceSchema }, async (request) =>
    deps.traces.trace(request.params.traceId),
  )
}
