import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { QueueRouteDeps } from './deps.ts'

const listSchema = {
  tags: ['admin', 'queue'],
  summary: 'Every queue with its depth, in-flight and dead counts, backlog age and throughput',
  description:
    'Counts are read live from the database and the job queues. The rates average the last 5 minutes (the current one included, as far as nodes have flushed it: METRICS_FLUSH_MS) of the per-minute rollups, summed across nodes; 0 when METRICS_ROLLUP is off.',
  response: {
    200: {
      type: 'object',
      required: ['queues'],
      additionalProperties: false,
      properties: {
        queues: {
          type: 'array',
          items: {
            type: 'object',
            required: [
              'name',
              'depth',
              'inFlight',
              'dead',
              'oldestAgeSeconds',
              'publishedPerMinute',
              'processedPerMinute',
            ],
            additionalProperties: false,
            properties: {
              name: { type: 'string' },
              depth: { type: 'integer', description: 'Messages waiting or delayed' },
              waiting: { type: 'integer' },
              delayed: { type: 'integer' },
              inFlight: { type: 'integer', description: 'Deliveries running now' },
              dead: { type: 'integer', description: 'Dead letters of this queue not retried yet' },
              consumers: { type: 'array', items: { type: 'string' } },
              oldestAgeSeconds: {
                type: 'number',
                description:
                  'Seconds the oldest message ready for its consumers has waited since it was published (or fell due): for a consumer to be deployed, or in their job queue; 0 when none waits',
              },
              publishedPerMinute: {
                type: 'number',
                description: 'Messages published per minute, over the last 5 minutes',
              },
              processedPerMinute: {
                type: 'number',
                description:
                  'Deliveries finished per minute (succeeded, or dead-lettered after the last attempt; one per consumer), over the last 5 minutes',
              },
            },
          },
        },
      },
    },
    '4xx': { $ref: 'Error#' },
  },
} as const

const rule = { anyOf: [{ type: 'string', minLength: 1, maxLength: 4000 }, { type: 'boolean' }] } as const

/** Exported for the app-as-code manifest, which embeds its body. */
export const putSchema = {
  tags: ['admin', 'queue'],
  summary: 'Create a queue or set its publish rule (CEL over auth and request.data)',
  params: {
    type: 'object',
    required: ['queue'],
    additionalProperties: false,
    properties: { queue: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,100}$' } },
  },
  body: {
    type: 'object',
    additionalProperties: false,
    properties: {
      rules: { type: 'object', additionalProperties: false, properties: { publish: rule } },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['name', 'rules'],
      additionalProperties: false,
      properties: {
        name: { type: 'string' },
        rules: { type: 'object', additionalProperties: false, properties: { publish: rule } },
      },
    },
    '4xx': { $ref: 'Error#' },
  },
} as const

/** GET /queues and PUT /queues/{queue}. */
export async function adminQueueRoutes(app: FastifyInstance, deps: QueueRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.get('/queues', { schema: listSchema }, async () => ({ queues: await deps.service.list() }))
  r.put('/queues/:queue', { schema: putSchema }, async (request) =>
    deps.service.setRules(request.params.queue, request.body.rules ?? {}),
  )
}
