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
  summary: 'Create or replace a document (If-Match: version → 412 db/version-mismatch when stale)',
  security: bearerSecurity,
  params: documentParams,
  headers: ifMatchHeaders,
  body: dataBody,
  response: { 200: documentSchema, 201: documentSchema, '4xx': errorResponse },
} as const

/** PUT /collections/:col/documents/:id */
export async function setRoute(app: FastifyInstance, deps: DocumentsRouteDeps): Promise<void> {
  app
    .withTypeProvider<JsonSchemaToTsProvider>()
    .put(
      '/collections/:col/documents/:id',
      { schema, bodyLimit: deps.documentBodyLimit },
      async (request, reply) => {
        const { col, id } = request.params
        const ifVersion = parseIfMatch(request.headers['if-match'])
        const document = await deps.service.setDocument(request.auth, col, id, request.body.data, ifVersion)
        return reply.code(document.version === 1 ? 201 : 200).send(withEtag(reply, document))
      },
    )
}
