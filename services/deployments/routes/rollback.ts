import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { DeploymentsRouteDeps } from './deps.ts'
import {
  deployedBy,
  deployOptionProperties,
  deployResultSchema,
  errorResponse,
  idParams,
  mayChangeProviders,
  onlyFunctions,
} from './schemas.ts'

const rollbackSchema = {
  tags: ['admin', 'deployments'],
  summary: 'Apply a recorded deployment’s manifest again, as a new deployment (201)',
  description:
    'Masked env values and client secrets keep their live values (400 when the live function no longer has that variable). Resources created since are kept unless `prune`; the same refusals as POST /deployments.',
  params: idParams,
  body: {
    type: ['object', 'null'],
    additionalProperties: false,
    properties: deployOptionProperties,
  },
  response: { 200: deployResultSchema, 201: deployResultSchema, '4xx': errorResponse },
} as const

/** POST /deployments/{id}/rollback. */
export async function rollbackRoutes(app: FastifyInstance, deps: DeploymentsRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.post('/deployments/:id/rollback', { schema: rollbackSchema }, async (request, reply) => {
    const options = request.body ?? {}
    const result = await deps.service.rollback(
      request.params.id,
      { ...options, mayChangeProviders: mayChangeProviders(request), onlyFunctions: onlyFunctions(request) },
      deployedBy(request),
    )
    return reply.code(options.dryRun ? 200 : 201).send(result)
  })
}
