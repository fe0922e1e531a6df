import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { AuthRouteDeps } from './deps.ts'
import { bearerSecurity, errorResponse, factorSchema, totpEnrollmentSchema } from './schemas.ts'

const factorIdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
} as const

const listSchema = {
  tags: ['auth', 'mfa'],
  summary: "The signed-in user's MFA factors",
  security: bearerSecurity,
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

const enrollSchema = {
  tags: ['auth', 'mfa'],
  summary: 'Enroll a TOTP factor (unverified until POST /factors/{id}/verify); the secret is shown once',
  description: 'Needs an aal2 session when the user already has a verified factor.',
  security: bearerSecurity,
  body: {
    type: 'object',
    required: ['type'],
    additionalProperties: false,
    properties: { type: { type: 'string', enum: ['totp'] } },
  },
  response: {
    200: totpEnrollmentSchema,
    '4xx': errorResponse,
  },
} as const

const unenrollSchema = {
  tags: ['auth', 'mfa'],
  summary: 'Remove a factor (needs aal2 while the user has a verified factor)',
  security: bearerSecurity,
  params: factorIdParams,
  response: { 204: { type: 'null' }, '4xx': errorResponse },
} as const

/** GET /factors, POST /factors, DELETE /factors/{id}. */
export async function factorRoutes(app: FastifyInstance, deps: AuthRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()

  r.get('/factors', { schema: listSchema }, async (request) => ({
    factors: await deps.service.mfa.listFactors(request.auth),
  }))

  r.post('/factors', { schema: enrollSchema }, async (request) => deps.service.mfa.enroll(request.auth))

  r.delete('/factors/:id', { schema: unenrollSchema }, async (request, reply) => {
    await deps.service.mfa.unenroll(request.auth, request.params.id)
    return reply.code(204).send(null)
  })
}
