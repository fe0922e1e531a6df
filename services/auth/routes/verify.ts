import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import { StratusError } from '../../core/errors.ts'
import type { AuthRouteDeps } from './deps.ts'
import { rateLimitFor } from './rate-limits.ts'
import { errorResponse, passwordField, sessionSchema, userSchema } from './schemas.ts'

const verifySchema = {
  tags: ['auth'],
  summary:
    'Spend a mailed one-time token: type "recovery" sets a new password (→ {session}); ' +
    'type "email" confirms the address (→ {user, session})',
  body: {
    type: 'object',
    required: ['type', 'token'],
    additionalProperties: false,
    properties: {
      type: { type: 'string', enum: ['recovery', 'email'] },
      token: { type: 'string', minLength: 1, maxLength: 512 },
      password: passwordField,
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['session'],
      additionalProperties: false,
      properties: { user: userSchema, session: sessionSchema },
    },
    '4xx': errorResponse,
  },
} as const

/** POST /verify. */
export async function verifyRoutes(app: FastifyInstance, deps: AuthRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  const rateLimit = rateLimitFor(deps.rateLimit, 'signin')

  r.post('/verify', { schema: verifySchema, config: { rateLimit } }, async (request) => {
    const { type, token, password } = request.body
    if (type === 'recovery') {
      if (password === undefined)
        throw new StratusError('request/invalid', 'A recovery needs the new password', {
          details: { location: 'body', required: 'password' },
        })
      // API.md: a recovery answers {session} only.
      const { session } = await deps.service.verify({ type, token, password })
      return { session }
    }
    return deps.service.verify({ type, token })
  })
}
