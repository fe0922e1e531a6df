import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import { StratusError } from '../../core/errors.ts'
import type { AuthRouteDeps } from './deps.ts'
import { rateLimitBy } from './rate-limits.ts'
import { emailField, errorResponse, passwordField, sessionSchema, userSchema } from './schemas.ts'

const tokenSchema = {
  tags: ['auth'],
  summary: 'Sign in with a password (→ {user, session}) or spend a refresh token (→ {session})',
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

/** POST /token?grant_type=password|refresh_token. */
export async function tokenRoutes(app: FastifyInstance, deps: AuthRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  const rateLimit = rateLimitBy(deps.rateLimit, (req) => {
    const grant = (req.query as { grant_type?: unknown } | undefined)?.grant_type
    return grant === 'password' ? 'signin' : grant === 'refresh_token' ? 'refresh' : undefined
  })

  r.post('/token', { schema: tokenSchema, config: { rateLimit } }, async (request) => {
    const body = request.body ?? {}
    if (request.query.grant_type === 'password') {
      if (body.email === undefined || body.password === undefined) throw missing('email and password')
      return deps.service.signInWithPassword({ email: body.email, password: body.password })
    }
    if (body.refresh_token === undefined) throw missing('refresh_token')
    return deps.service.refresh(body.refresh_token)
  })
}
