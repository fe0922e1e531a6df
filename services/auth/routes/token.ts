import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import { isStratusError, StratusError } from '../../core/errors.ts'
import type { AuthRouteDeps } from './deps.ts'
import { rateLimitBy } from './rate-limits.ts'
import { emailField, errorResponse, passwordField, sessionSchema, userSchema } from './schemas.ts'

const tokenSchema = {
  tags: ['auth'],
  summary: 'Sign in with a password (→ {user, session}) or spend a refresh token (→ {session})',
  description:
    'Password sign-ins are limited per client IP (RATE_LIMIT_SIGNIN) and their failures per account from any IP (RATE_LIMIT_SIGNIN_ACCOUNT): past either, 429 `rate-limited` with `Retry-After`. A wrong email and a wrong password answer alike (400 `auth/invalid-credentials`), and an unknown email is throttled like a known one.',
  querystring: {
    type: 'object',
    required: ['grant_type'],
    properties: { grant_type: { type: 'string', enum: ['password', 'refresh_token'] } },
  },
  body: {
    type: 'object',
    additionalProperties: false,
    properties: {
      email: emailField,
      password: passwordField,
      refresh_token: { type: 'string', minLength: 1, maxLength: 512 },
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

const missing = (fields: string) =>
  new StratusError('request/invalid', `This grant needs ${fields} in the body`, {
    details: { location: 'body', required: fields },
  })

/**
 * POST /token?grant_type=password|refresh_token. Password sign-ins are limited per client IP
 * (RATE_LIMIT_SIGNIN) and their failures per account from any IP (RATE_LIMIT_SIGNIN_ACCOUNT).
 */
export async function tokenRoutes(app: FastifyInstance, deps: AuthRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  const rateLimit = rateLimitBy(deps.rateLimit, (req) => {
    const grant = (req.query as { grant_type?: unknown } | undefined)?.grant_type
    return grant === 'password' ? 'signin' : grant === 'refresh_token' ? 'refresh' : undefined
  })

  r.post('/token', { schema: tokenSchema, config: { rateLimit } }, async (request, reply) => {
    const body = request.body ?? {}
    if (request.query.grant_type === 'password') {
      if (body.email === undefined || body.password === undefined) throw missing('email and password')
      try {
        return await deps.service.signInWithPassword({ email: body.email, password: body.password })
      } catch (error) {
        // The per-account throttle answers as the per-IP limiter does, Retry-After included.
        const retryAfter = isStratusError(error, 'rate-limited')
          ? (error.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds
          : undefined
        if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter))
        throw error
      }
    }
    if (body.refresh_token === undefined) throw missing('refresh_token')
    return deps.service.refresh(body.refresh_token)
  })
}
