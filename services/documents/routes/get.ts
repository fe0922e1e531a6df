import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { DocumentsRouteDeps } from './deps.ts'
import { bearerSecurity, documentParams, documentSchema, errorResponse, withEtag } from './schemas.ts'

const schema = {
  tags: ['db'],
  summary: 'One document (403 when the read rule refuses it, whether or not it exists)',
  security: bearerSecurity,
  params: documentParams,
  response: { 200: documentSchema, '4xx': errorResponse },
} as const

/** GET /collections/:col/documents/:id */
export async function getRoute(app: FastifyInstance, deps: DocumentsRouteDeps): Promise<void> {
  app
    .withTypeProvider<JsonSchemaToTsProvider>()
    .get('/collections/:col/documents/:id', { schema }, async (request, reply) =>
      withEtag(reply, await deps.service.getDocument(request.auth, request.params.col, request.params.id)),
    )
}
