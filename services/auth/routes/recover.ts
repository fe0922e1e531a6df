import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { AuthRouteDeps } from './deps.ts'
import { rateLimitFor } from './rate-limits.ts'
import { emailField, errorResponse } from './schemas.ts'

const emailBody = {
  type: 'object',
  required: ['email'],
  additionalProperties: false,
  properties: { email: emailField },
} as const

const recoverSchema = {
  tags: ['auth'],
  summary: 'Mail a one-time recovery token (204 whether or not the account exists)',
  body: emailBody,
  response: { 204: { type: 'null' }, '4xx': errorResponse },
} as const

const resendSchema = {
  tags: ['auth'],
  summary: 'Mail a new email-verification token (204 whether or not the account exists)',
  body: emailBody,
  response: { 204: { type: 'null' }, '4xx': errorResponse },
} as const

/**
 * POST /recover and POST /resend. Both answer 204 at once and mail in the background, so neither the
 * answer nor its timing tells whether the address has an account.
 */
export async function recoverRoutes(app: FastifyInstance, deps: AuthRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  const rateLimit = rateLimitFor(deps.rateLimit, 'recover')

  r.post('/recover', { schema: recoverSchema, config: { rateLimit } }, async (request, reply) => {
    deps.service.requestRecovery(request.body.email)
    return reply.code(204).send(null)
  })

  r.post('/resend', { schema: resendSchema, config: { rateLimit } }, async (request, reply) => {
    deps.service.resendVerification(request.body.email)
    return reply.code(204).send(null)
  })
}
