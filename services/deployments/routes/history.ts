import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { DeploymentsRouteDeps } from './deps.ts'
import { errorResponse, idParams, manifestField, summaryProperties, summarySchema } from './schemas.ts'

const listSchema = {
  tags: ['admin', 'deployments'],
  summary: 'The deployments, newest first',
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
      cursor: { type: 'string', minLength: 1, maxLength: 64, description: 'nextCursor of the page before' },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['deployments', 'nextCursor'],
      additionalProperties: false,
      properties: {
        deployments: { type: 'array', items: summarySchema },
        nextCursor: { type: ['string', 'null'] },
      },
    },
    '4xx': errorResponse,
  },
} as const

const getSchema = {
  tags: ['admin', 'deployments'],
  summary: 'One deployment with the manifest it applied (env values and client secrets masked)',
  params: idParams,
  response: {
    200: {
      type: 'object',
      required: [...summarySchema.required, 'manifest'],
      additionalProperties: false,
      properties: { ...summaryProperties, manifest: manifestField },
    },
    '4xx': errorResponse,
  },
} as const

/** GET /deployments and GET /deployments/{id}. */
export async function historyRoutes(app: FastifyInstance, deps: DeploymentsRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.get('/deployments', { schema: listSchema }, async (request) =>
    deps.service.list({
      limit: request.query.limit,
      ...(request.query.cursor ? { cursor: request.query.cursor } : {}),
    }),
  )
  r.get('/deployments/:id', { schema: getSchema }, async (request) => {
    const record = await deps.service.get(request.params.id)
    return { ...record, manifest: record.manifest as Record<string, unknown> }
  })
}
