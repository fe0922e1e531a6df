import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { AdminRouteDeps } from './deps.ts'
import { errorResponse } from './schemas.ts'

const auditSchema = {
  tags: ['admin', 'admin accounts'],
  summary: 'The audit log of admin mutations, newest first',
  description:
    'One entry per successful change under /admin/v1 (and per `stratus admin create` / `keys rotate`): who (the service key or an admin), what (method and route pattern), on what (the route parameters), the resource before (when a GET on the same URL could read it) and the request body after, both with passwords, secrets, tokens and function env values redacted, and the client IP.',
  querystring: {
    type: 'object',
    properties: {
      limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
      cursor: { type: 'string', minLength: 1, maxLength: 128 },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['entries', 'nextCursor'],
      additionalProperties: false,
      properties: {
        entries: {
          type: 'array',
          items: {
            type: 'object',
            required: ['id', 'at', 'actor', 'action', 'target', 'ip'],
            additionalProperties: false,
            properties: {
              id: { type: 'string' },
              at: { type: 'string', format: 'date-time' },
              actor: {
                type: 'object',
                required: ['type'],
                additionalProperties: false,
                properties: {
                  type: { type: 'string', enum: ['admin', 'service'] },
                  id: { type: 'string' },
                  email: { type: 'string' },
                },
              },
              action: {
                type: 'string',
                description: '`PUT /admin/v1/functions/:name`, or `stratus admin create`',
              },
              target: { type: 'object', additionalProperties: true },
              before: {},
              after: {},
              ip: { type: ['string', 'null'], description: 'null for the local command line' },
            },
          },
        },
        nextCursor: { type: ['string', 'null'] },
      },
    },
    '4xx': errorResponse,
  },
} as const

/** GET /audit. */
export async function auditRoutes(app: FastifyInstance, deps: AdminRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.get('/audit', { schema: auditSchema }, async (request) => deps.service.audit.list(request.query))
}
