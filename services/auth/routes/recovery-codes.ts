import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { AuthRouteDeps } from './deps.ts'
import { aalUpgradeSchema } from './factor-verify.ts'
import { rateLimitPerUser } from './rate-limits.ts'
import { bearerSecurity, errorResponse } from './schemas.ts'

const regenerateSchema = {
  tags: ['auth', 'mfa'],
  summary: 'A new set of MFA recovery codes (the previous set stops working); needs aal2',
  security: bearerSecurity,
  response: {
    200: {
      type: 'object',
      required: ['recoveryCodes'],
      additionalProperties: false,
      properties: { recoveryCodes: { type: 'array', items: { type: 'string' } } },
    },
    '4xx': errorResponse,
  },
} as const

const useSchema = {
  tags: ['auth', 'mfa'],
  summary: 'Spend a recovery code in place of a TOTP code: a new session at aal2',
  security: bearerSecurity,
  body: {
    type: 'object',
    required: ['code'],
    additionalProperties: false,
    properties: { code: { type: 'string', minLength: 1, maxLength: 32 } },
  },
  response: { 200: aalUpgradeSchema, '4xx': errorResponse },
} as const

/** POST /recovery-codes and POST /recovery-codes/verify {code} (rate limited like TOTP codes, own counter). */
export async function recoveryCodeRoutes(app: FastifyInstance, deps: AuthRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.post('/recovery-codes', { schema: regenerateSchema }, async (request) => ({
    recoveryCodes: await deps.service.mfa.regenerateRecoveryCodes(request.auth),
  }))
  r.post(
    '/recovery-codes/verify',
    { schema: useSchema, config: { rateLimit: rateLimitPerUser(deps.rateLimit, 'mfa', 'recovery') } },
    async (request) => deps.service.mfa.verifyRecoveryCode(request.auth, request.body.code),
  )
}
