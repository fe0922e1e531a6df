import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import { METRICS } from '../catalog.ts'
import type { ObservabilityRouteDeps } from './deps.ts'

const seriesSchema = {
  tags: ['admin', 'observability'],
  summary: 'A per-minute metric over time, summed across nodes, in steps',
  description:
    'Metrics: ' +
    Object.entries(METRICS)
      .map(([name, m]) => `\`${name}\` (${m.unit}${m.labels.length ? `; by ${m.labels.join(', ')}` : ''})`)
      .join(', ') +
    '. `step` is in seconds (a multiple of 60, default 60); `from`/`to` are ISO-8601 (default: the last hour).',
  // Times and step are checked by the service, so that every bad value gets one clear message.
  querystring: {
    type: 'object',
    required: ['metric'],
    properties: {
      metric: { type: 'string', maxLength: 100 },
      groupBy: { type: 'string', maxLength: 200, description: 'comma-separated label names' },
      from: { type: 'string', maxLength: 64 },
      to: { type: 'string', maxLength: 64 },
      step: { type: 'string', maxLength: 16 },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['metric', 'step', 'series'],
      additionalProperties: false,
      properties: {
        metric: { type: 'string' },
        step: { type: 'integer', description: 'seconds' },
        series: {
          type: 'array',
          items: {
            type: 'object',
            required: ['labels', 'points'],
            additionalProperties: false,
            properties: {
              labels: { type: 'object', additionalProperties: { type: 'string' } },
              points: {
                type: 'array',
                description: '[ISO time of the step start, value]',
                items: {
                  type: 'array',
                  prefixItems: [{ type: 'string' }, { type: 'number' }],
                  minItems: 2,
                  maxItems: 2,
                },
              },
            },
          },
        },
      },
    },
    '4xx': { $ref: 'Error#' },
  },
} as const

/** GET /metrics/series. */
export async function seriesRoutes(app: FastifyInstance, deps: ObservabilityRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.get('/metrics/series', { schema: seriesSchema }, async (request) => deps.service.series(request.query))
}
