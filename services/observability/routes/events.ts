import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { ObservabilityRouteDeps } from './deps.ts'

const eventsSchema = {
  tags: ['admin', 'observability'],
  summary: 'Retained events (the outbox) in sequence order, with the executions each triggered',
  description:
    '`type` and `subject` are globs as in event triggers (`*` within a `.` or `/` segment, `**` across, `?` ' +
    'one character). Ascending from `fromSequence` (inclusive) by default; `order=desc` lists newest first ' +
    '(from `fromSequence` down), for a live tail. `nextCursor` continues in the same order; it is null on ' +
    'the last page. Events older than OUTBOX_RETENTION_HOURS are gone.',
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      type: { type: 'string', minLength: 1, maxLength: 200, description: 'Event type glob' },
      subject: { type: 'string', minLength: 1, maxLength: 1024, description: 'Subject glob' },
      fromSequence: {
        type: 'integer',
        minimum: 0,
        maximum: Number.MAX_SAFE_INTEGER,
        description: 'First sequence (last, with order=desc)',
      },
      limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100, description: 'Events per page' },
      cursor: { type: 'string', pattern: '^[0-9]{1,16}$', description: 'nextCursor of the previous page' },
      order: {
        type: 'string',
        enum: ['asc', 'desc'],
        default: 'asc',
        description: '`asc`: oldest first; `desc`: newest first (a live tail)',
      },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['events', 'nextCursor'],
      additionalProperties: false,
      properties: {
        events: {
          type: 'array',
          items: {
            type: 'object',
            required: [
              'specversion',
              'id',
              'source',
              'type',
              'subject',
              'time',
              'data',
              'sequence',
              'executions',
            ],
            additionalProperties: false,
            properties: {
              specversion: { type: 'string' },
              id: { type: 'string' },
              source: { type: 'string' },
              type: { type: 'string' },
              subject: { type: 'string' },
              time: { type: 'string', format: 'date-time' },
              datacontenttype: { type: 'string' },
              data: {},
              sequence: { type: 'integer', description: 'Position in the project-wide order of events' },
              traceparent: { type: 'string', description: 'W3C trace context of the event (its own span)' },
              causationid: { type: 'string', description: 'The span that caused it (a request or a write)' },
              executions: {
                type: 'array',
                description: 'Every execution it triggered, each attempt, oldest first',
                items: {
                  type: 'object',
                  required: ['id', 'function', 'version', 'status', 'attempt'],
                  additionalProperties: false,
                  properties: {
                    id: { type: 'string' },
                    function: { type: 'string' },
                    version: { type: 'integer' },
                    status: { type: 'string', enum: ['succeeded', 'failed', 'timeout'] },
                    attempt: { type: 'integer' },
                  },
                },
              },
            },
          },
        },
        nextCursor: {
          type: ['string', 'null'],
          description: 'Pass as `cursor` for the next page (same order); null on the last page',
        },
      },
    },
    '4xx': { $ref: 'Error#' },
  },
} as const

/** GET /events. */
export async function eventsRoutes(app: FastifyInstance, deps: ObservabilityRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.get('/events', { schema: eventsSchema }, async (request) => deps.traces.events(request.query))
}
