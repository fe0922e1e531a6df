import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import { MAX_DELAY_MS } from '../service.ts'
import type { QueueRouteDeps } from './deps.ts'

const publishSchema = {
  tags: ['queue'],
  summary: 'Publish a message (service key, or allowed by the queue rule)',
  params: {
    type: 'object',
    required: ['queue'],
    additionalProperties: false,
    properties: { queue: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,100}$' } },
  },
  body: {
    type: 'object',
    required: ['payload'],
    additionalProperties: false,
    properties: {
      payload: {},
      delayMs: { type: 'integer', minimum: 0, maximum: MAX_DELAY_MS },
      dedupId: { type: 'string', minLength: 1, maxLength: 200 },
    },
  },
  response: {
    202: {
      type: 'object',
      required: ['id'],
      additionalProperties: false,
      properties: { id: { type: 'string' }, duplicate: { type: 'boolean' } },
    },
    '4xx': { $ref: 'Error#' },
  },
} as const

/** POST /queue/v1/{queue}/messages. */
export async function publishRoutes(app: FastifyInstance, deps: QueueRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.post('/:queue/messages', { schema: publishSchema }, async (request, reply) =>
    reply.code(202).send(await deps.service.publish(request.params.queue, request.body, request.auth)),
  )
}
