import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { AuthRouteDeps } from './deps.ts'
import { bearerSecurity, errorResponse } from './schemas.ts'

const logoutSchema = {
  tags: ['auth'],
  summary: "End the caller's session (scope=local, default) or all of the user's sessions (scope=global)",
  security: bearerSecurity,
  querystring: {
    type: 'object',
    properties: { scope: { type: 'string', enum: ['local', 'global'], default: 'local' } },
  },
  response: { 204: { type: 'null' }, '4xx': errorResponse },
} as const

/** POST /logout: revokes the session family, so its refresh tokens stop working. */
export async function logoutRoutes(app: FastifyInstance, deps: AuthRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.post('/logout', { schema: logoutSchema }, async (request, reply) => {
    await deps.service.logout(request.auth, request.query.scope)
    return reply.code(204).send(null)
  })
}
