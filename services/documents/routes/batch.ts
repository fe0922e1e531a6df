import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import { MAX_BATCH_WRITES } from '../service.ts'
import type { DocumentsRouteDeps } from './deps.ts'
import { bearerSecurity, dataField, documentSchema, errorResponse, idField } from './schemas.ts'

const schema = {
  tags: ['db'],
  summary: `Up to ${MAX_BATCH_WRITES} writes in one transaction: all or nothing`,
  description:
    'A failing write aborts the batch; the error names it in details.index. Results are in order: ' +
    'the document written, or null for a delete.',
  security: bearerSecurity,
  body: {
    type: 'object',
    required: ['writes'],
    additionalProperties: false,
    properties: {
      writes: {
        type: 'array',
        minItems: 1,
        maxItems: MAX_BATCH_WRITES,
        items: {
          type: 'object',
          required: ['op', 'collection'],
          additionalProperties: false,
          properties: {
            op: { type: 'string', enum: ['create', 'set', 'update', 'delete'] },
            collection: idField,
            id: idField,
            data: dataField,
            ifVersion: { type: 'integer', minimum: 1 },
          },
        },
      },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['results'],
      additionalProperties: false,
      properties: {
        results: { type: 'array', items: { anyOf: [documentSchema, { type: 'null' }] } },
      },
    },
    '4xx': errorResponse,
  },
} as const

/** POST /batch */
export async function batchRoute(app: FastifyInstance, deps: DocumentsRouteDeps): Promise<void> {
  app.withTypeProvider<JsonSchemaToTsProvider>().post('/batch', { schema }, async (request) => ({
    results: await deps.service.batch(request.auth, request.body.writes),
  }))
}
