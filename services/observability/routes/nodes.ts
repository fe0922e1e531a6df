import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { ObservabilityRouteDeps } from './deps.ts'

const nodesSchema = {
  tags: ['admin', 'observability'],
  summary: 'Live nodes: role, version, start and last heartbeat (unseen for two heartbeats = gone)',
  response: {
    200: {
      type: 'object',
      required: ['nodes'],
      additionalProperties: false,
      properties: {
        nodes: {
          type: 'array',
          items: {
            type: 'object',
            required: ['id', 'role', 'version', 'startedAt', 'lastSeenAt'],
            additionalProperties: false,
            properties: {
              id: { type: 'string' },
              role: { type: 'string', description: 'all, api or worker' },
              version: { type: 'string' },
              startedAt: { type: 'string', format: 'date-time' },
              lastSeenAt: { type: 'string', format: 'date-time' },
            },
          },
        },
      },
    },
    '4xx': { $ref: 'Error#' },
  },
} as const

/** GET /nodes. */
export async function nodesRoutes(app: FastifyInstance, deps: ObservabilityRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.get('/nodes', { schema: nodesSchema }, async () => ({ nodes: await deps.service.liveNodes() }))
}
