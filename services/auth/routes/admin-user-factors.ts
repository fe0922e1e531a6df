import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import { idParams } from './admin-users.ts'
import type { AuthRouteDeps } from './deps.ts'
import { errorResponse, factorSchema } from './schemas.ts'

const listSchema = {
  tags: ['admin', 'auth'],
  summary: 'A user’s MFA factors (never their secrets)',
  params: idParams,
  response: {
    200: {
      type: 'object',
      required: ['factors'],
      additionalProperties: false,
      properties: { factors: { type: 'array', items: factorSchema } },
    },
    '4xx': errorResponse,
  },
} as const

const resetSchema = {
  tags: ['admin', 'auth'],
  summary: 'Reset a user’s MFA: remove every factor and recovery code',
  description:
    'For a user who lost the authenticator: the password alone signs in again (at aal1), and the user ' +
    'may enrol a new factor. Emits auth.user.updated. Sessions are left as they are (end them with ' +
    'DELETE /admin/v1/users/{id}/sessions).',
  params: idParams,
  response: {
    200: {
      type: 'object',
      required: ['removed'],
      additionalProperties: false,
      properties: { removed: { type: 'integer', description: 'factors removed' } },
    },
    '4xx': errorResponse,
  },
} as const

/** /admin/v1/users/{id}/factors: list and reset a user's MFA factors. */
export async function adminUserFactorRoutes(app: FastifyInstance, deps: AuthRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()

  r.get('/users/:id/factors', { schema: listSchema }, async (request) => ({
    factors: await deps.service.userFactors(request.params.id),
  }))

  r.delete('/users/:id/factors', { schema: resetSchema }, async (request) => ({
    removed: await deps.service.resetUserFactors(request.params.id),
  }))
}
