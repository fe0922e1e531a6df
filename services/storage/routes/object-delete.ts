import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { StorageRouteDeps } from './deps.ts'
import { errorResponse, objectParams } from './schemas.ts'

const deleteSchema = {
  tags: ['storage'],
  summary: 'Delete an object (emits storage.object.deleted)',
  params: objectParams,
  response: { 204: { type: 'null' }, '4xx': errorResponse },
} as const

/** DELETE /object/{bucket}/{key…} → 204. */
export async function objectDeleteRoutes(app: FastifyInstance, deps: StorageRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.delete('/object/:bucket/*', { schema: deleteSchema }, async (request, reply) => {
    await deps.service.remove(request.auth, request.params.bucket, request.params['*'])
    return reply.code(204).send(null)
  })
}
