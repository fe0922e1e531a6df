import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { AuthRouteDeps } from './deps.ts'
import { rateLimitFor } from './rate-limits.ts'
import { dataField, emailField, errorResponse, passwordField, userAndSessionSchema } from './schemas.ts'

const signupSchema = {
  tags: ['auth'],
  summary: 'Create an email/password account and sign in',
  body: {
    type: 'object',
    required: ['email', 'password'],
    additionalProperties: false,
    properties: { email: emailField, password: passwordField, data: dataField },
  },
  response: { 201: userAndSessionSchema, '4xx': errorResponse },
} as const

const anonymousSchema = {
  tags: ['auth'],
  summary: 'Create an anonymous user and sign in (upgrade later with PATCH /user)',
  body: {
    type: 'object',
    additionalProperties: false,
    properties: { data: dataField },
  },
  response: { 201: userAndSessionSchema, '4xx': errorResponse },
} as const

/** POST /signup and POST /anonymous: the two ways to create an account from a client. */
export async function signupRoutes(app: FastifyInstance, deps: AuthRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  const rateLimit = rateLimitFor(deps.rateLimit, 'signup')

  r.post('/signup', { schema: signupSchema, config: { rateLimit } }, async (request, reply) => {
    const result = await deps.service.signUp(request.body)
    return reply.code(201).send(result)
  })

  r.post(
    '/anonymous',
    {
      schema: anonymousSchema,
      config: { rateLimit },
      // The body is optional: a bare POST is an anonymous sign-in with no data.
      preValidation: async (request) => {
        request.body ??= {}
      },
    },
    async (request, reply) => {
      const result = await deps.service.signInAnonymously(request.body)
      return reply.code(201).send(result)
    },
  )
}
