import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { AuthRouteDeps } from './deps.ts'
import {
  bearerSecurity,
  dataField,
  emailField,
  errorResponse,
  passwordField,
  userResponseSchema,
} from './schemas.ts'

const getUserSchema = {
  tags: ['auth'],
  summary: 'The signed-in user',
  security: bearerSecurity,
  response: { 200: userResponseSchema, '4xx': errorResponse },
} as const

const patchUserSchema = {
  tags: ['auth'],
  summary: 'Change the signed-in user (email, password, data merged); upgrades an anonymous user',
  security: bearerSecurity,
  body: {
    type: 'object',
    additionalProperties: false,
    properties: { email: emailField, password: passwordField, data: dataField },
  },
  response: { 200: userResponseSchema, '4xx': errorResponse },
} as const

/** GET and PATCH /user: the signed-in user's own account. */
export async function userRoutes(app: FastifyInstance, deps: AuthRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()

  r.get('/user', { schema: getUserSchema }, async (request) => ({
    user: await deps.service.currentUser(request.auth),
  }))

  r.patch('/user', { schema: patchUserSchema }, async (request) => ({
    user: await deps.service.updateCurrentUser(request.auth, request.body),
  }))
}
