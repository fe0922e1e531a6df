import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { DocumentsRouteDeps } from './deps.ts'
import { bearerSecurity, documentParams, errorResponse, ifMatchHeaders, parseIfMatch } from './schemas.ts'

const schema = {
  tags: ['db'],
  summary: 'Delete a document (If-Match: version → 412 when stale)',
  security: bearerSecurity,
  params: documentParams,
  headers: ifMatchHeaders,
  response: { 204: { type: 'null' }, '4xx': errorResponse },
} as const

/** DELETE /collections/:col/documents/:id */
export async function deleteRoute(app: FastifyInstance, deps: DocumentsRouteDeps): Promise<void> {
  app
    .withTypeProvider<JsonSchemaToTsProvider>()
    .delete('/collections/:col/documents/:id', { schema }, async (request, reply) => {
      const { col, id } = request.params
      await deps.service.deleteDocument(request.auth, col, id, parseIfMatch(request.headers['if-match']))
      return reply.code(204).send(null)
    })
}
