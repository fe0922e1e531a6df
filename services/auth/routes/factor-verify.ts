import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { AuthRouteDeps } from './deps.ts'
import { rateLimitPerUser } from './rate-limits.ts'
import { bearerSecurity, errorResponse, sessionSchema } from './schemas.ts'

/** `{session}` at aal2, plus the recovery codes when this verification turned MFA on. */
export const aalUpgradeSchema = {
  type: 'object',
  required: ['session'],
  additionalProperties: false,
  properties: {
    session: sessionSchema,
    recoveryCodes: {
      type: 'array',
      items: { type: 'string' },
      description: "single-use codes standing in for a TOTP code; shown once, on the user's first factor",
    },
  },
} as const

const verifySchema = {
  tags: ['auth', 'mfa'],
  summary: 'Verify a TOTP code: a new session at aal2 (the caller’s session ends)',
  security: bearerSecurity,
  params: {
    type: 'object',
    required: ['id'],
    properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
  },
  body: {
    type: 'object',
    required: ['code'],
    additionalProperties: false,
    properties: { code: { type: 'string', minLength: 1, maxLength: 16 } },
  },
  response: { 200: aalUpgradeSchema, '4xx': errorResponse },
} as const

/** POST /factors/{id}/verify {code}: rate limited per user (RATE_LIMIT_MFA). */
export async function factorVerifyRoutes(app: FastifyInstance, deps: AuthRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.post(
    '/factors/:id/verify',
    { schema: verifySchema, config: { rateLimit: rateLimitPerUser(deps.rateLimit, 'mfa', 'totp') } },
    async (request) => deps.service.mfa.verify(request.auth, request.params.id, request.body.code),
  )
}
