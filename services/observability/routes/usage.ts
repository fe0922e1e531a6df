import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { ObservabilityRouteDeps } from './deps.ts'

const count = { type: 'number', minimum: 0 } as const

const usageSchema = {
  tags: ['admin', 'observability'],
  summary: 'Metered usage over a window: per function, per bucket, per service',
  description:
    'Invocations count every attempt (retries too); GB-seconds = memoryMb / 1024 × duration rounded up to ' +
    'the millisecond, per execution. `from`/`to` are ISO-8601 (default: the current UTC month so far), at ' +
    'minute resolution. `storedBytes` is what each bucket holds now.',
  querystring: {
    type: 'object',
    properties: { from: { type: 'string', maxLength: 64 }, to: { type: 'string', maxLength: 64 } },
  },
  response: {
    200: {
      type: 'object',
      required: ['from', 'to', 'functions', 'buckets', 'requests'],
      additionalProperties: false,
      properties: {
        from: { type: 'string', format: 'date-time' },
        to: { type: 'string', format: 'date-time' },
        functions: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name', 'invocations', 'failures', 'gbSeconds'],
            additionalProperties: false,
            properties: { name: { type: 'string' }, invocations: count, failures: count, gbSeconds: count },
          },
        },
        buckets: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name', 'storedBytes', 'uploads', 'egressBytes'],
            additionalProperties: false,
            properties: { name: { type: 'string' }, storedBytes: count, uploads: count, egressBytes: count },
          },
        },
        requests: {
          type: 'object',
          description:
            'HTTP requests per service (db, storage, functions, auth, admin, queue, realtime, other)',
          additionalProperties: count,
        },
      },
    },
    '4xx': { $ref: 'Error#' },
  },
} as const

/** GET /usage. */
export async function usageRoutes(app: FastifyInstance, deps: ObservabilityRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.get('/usage', { schema: usageSchema }, async (request) => deps.service.usage(request.query))
}
