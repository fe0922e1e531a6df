import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { DocumentsRouteDeps } from './deps.ts'
import { bearerSecurity, collectionParams, documentSchema, errorResponse } from './schemas.ts'

const schema = {
  tags: ['db'],
  summary: 'Query a collection',
  description:
    'where = JSON array of [fieldPath, op, value]; orderBy = JSON array of [fieldPath, "asc"|"desc"] ' +
    '(default $createdAt asc; $id breaks ties); limit 1-1000 (default 100); cursor = nextCursor of the ' +
    'previous page. Documents the read rule refuses are skipped when the rule depends on the document ' +
    '(a page may then be short, even empty, with a nextCursor); a rule that refuses the caller whatever ' +
    'the document answers 403.',
  security: bearerSecurity,
  params: collectionParams,
  // Strings here, checked by the service, so that every malformed query answers db/invalid-query.
  querystring: {
    type: 'object',
    properties: {
      where: { type: 'string' },
      orderBy: { type: 'string' },
      limit: { type: 'string' },
      cursor: { type: 'string', maxLength: 65536 },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['documents', 'nextCursor'],
      additionalProperties: false,
      properties: {
        documents: { type: 'array', items: documentSchema },
        nextCursor: { type: ['string', 'null'] },
      },
    },
    '4xx': errorResponse,
  },
} as const

/** GET /collections/:col/documents */
export async function listRoute(app: FastifyInstance, deps: DocumentsRouteDeps): Promise<void> {
  app
    .withTypeProvider<JsonSchemaToTsProvider>()
    .get('/collections/:col/documents', { schema }, async (request) =>
      deps.service.listDocuments(request.auth, request.params.col, request.query),
    )
}
