import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { FunctionsRouteDeps } from './deps.ts'
import { errorResponse } from './schemas.ts'

const listSchema = {
  tags: ['admin', 'functions'],
  summary: 'The event catalog: every public event type, its subject shape, an example and what it means',
  description:
    'For building triggers. In a subject shape `{name}` is one segment and `{name...}` one or more; a trigger whose type matches none of these, or whose subject can never match the shape, is refused at deploy (400 `functions/invalid-trigger`).',
  response: {
    200: {
      type: 'object',
      required: ['eventTypes'],
      additionalProperties: false,
      properties: {
        eventTypes: {
          type: 'array',
          items: {
            type: 'object',
            required: ['type', 'subject', 'description', 'triggerable', 'example'],
            additionalProperties: false,
            properties: {
              type: { type: 'string' },
              subject: {
                type: 'string',
                description: 'The subject shape, e.g. collections/{collection}/documents/{id}',
              },
              description: { type: 'string' },
              triggerable: {
                type: 'boolean',
                description: 'Whether an event trigger can fire on it (false: handed to one function only)',
              },
              example: {
                type: 'object',
                required: ['subject', 'data'],
                additionalProperties: false,
                properties: { subject: { type: 'string' }, data: {} },
              },
            },
          },
        },
      },
    },
    '4xx': errorResponse,
  },
} as const

/** GET /event-types. */
export async function adminEventTypeRoutes(app: FastifyInstance, deps: FunctionsRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.get('/event-types', { schema: listSchema }, async () => ({ eventTypes: deps.service.eventTypes() }))
}
