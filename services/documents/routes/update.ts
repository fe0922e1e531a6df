import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { DocumentsRouteDeps } from './deps.ts'
import {
  bearerSecurity,
  dataBody,
  documentParams,
  documentSchema,
  errorResponse,
  ifMatchHeaders,
  parseIfMatch,
  withEtag,
} from './schemas.ts'

const schema = {
  tags: ['db'],
  summary: 'Shallow-merge fields into a document (If-Match: version → 412 when stale)',
  security: bearerSecurity,
  params: documentParams,
  headers: ifMatchHeaders,
  body: dataBody,
  response: { 200: documentSchema, '4xx': errorResponse },
} as const

/** PATCH /collections/:col/documents/:id */
export async function updateRoute(app: FastifyInstance, deps: DocumentsRouteDeps): Promise<void> {
  app
    .withTypeProvider<JsonSchemaToTsProvider>()
    .patch(
      '/collections/:col/documents/:id',
      { schema, bodyLimit: deps.documentBodyLimit },
      async (request, reply) => {
        const { col, id } = request.params
        const ifVersion = parseIfMatch(request.headers['if-match'])
        return withEtag(
          reply,
          await deps.service.updateDocument(request.auth, col, id, request.body.data, ifVersion),
        )
      },
    )
}
