import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { QueueRouteDeps } from './deps.ts'

const listSchema = {
  tags: ['admin', 'queue'],
  summary: 'Every queue with its depth, in-flight and dead counts',
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
            required: ['name', 'depth', 'inFlight', 'dead'],
            additionalProperties: false,
            properties: {
              name: { type: 'string' },
              depth: { type: 'integer' },
              waiting: { type: 'integer' },
              delayed: { type: 'integer' },
              inFlight: { type: 'integer' },
              dead: { type: 'integer' },
              consumers: { type: 'array', items: { type: 'string' } },
            },
          },
        },
      },
    },
    '4xx': { $ref: 'Error#' },
  },
} as const

const rule = { anyOf: [{ type: 'string', minLength: 1, maxLength: 4000 }, { type: 'boolean' }] } as const

const putSchema = {
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
