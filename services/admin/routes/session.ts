import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { type ErrorBody, isStratusError } from '../../core/errors.ts'
import { newSecret } from '../../core/ids.ts'
import { signedInAdmin } from './caller.ts'
import { clearSessionCookies, setSessionCookies } from './cookies.ts'
import type { AdminRouteDeps } from './deps.ts'
import { adminSchema, emailField, errorResponse, passwordField, roleField } from './schemas.ts'

const signInSchema = {
  tags: ['admin', 'admin accounts'],
  summary: 'Sign an admin in (email + password, + TOTP code if enrolled): a bearer token and console cookies',
  description:
    'Reachable without credentials; rate limited per client IP (RATE_LIMIT_SIGNIN). Sets an HttpOnly, SameSite=Strict `stratus_admin` cookie and a readable `stratus_csrf` cookie whose value cookie-authenticated changes must echo in `x-csrf-token`. A wrong email, password or code answers 401 `auth/invalid-credentials`; an admin with TOTP and no `code`, 401 `auth/mfa-required`.',
  body: {
    type: 'object',
    required: ['email', 'password'],
    additionalProperties: false,
    properties: {
      email: emailField,
      password: passwordField,
      code: { type: 'string', minLength: 1, maxLength: 16 },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['token', 'expiresAt', 'admin'],
      additionalProperties: false,
      properties: {
        token: { type: 'string', description: 'send as `Authorization: Bearer <token>`; shown once' },
        expiresAt: { type: 'string', format: 'date-time' },
        admin: {
          type: 'object',
          required: ['id', 'email', 'role'],
          additionalProperties: false,
          properties: { id: { type: 'string' }, email: { type: 'string' }, role: roleField },
        },
      },
    },
    '4xx': errorResponse,
  },
} as const

const whoAmISchema = {
  tags: ['admin', 'admin accounts'],
  summary: 'The signed-in admin (null for the service key)',
  response: {
    200: {
      type: 'object',
      required: ['admin'],
      additionalProperties: false,
      properties: { admin: { anyOf: [adminSchema, { type: 'null' }] } },
    },
    '4xx': errorResponse,
  },
} as const

const signOutSchema = {
  tags: ['admin', 'admin accounts'],
  summary: 'Sign out: the session token stops working and the console cookies are cleared',
  response: { 204: { type: 'null' }, '4xx': errorResponse },
} as const

/** POST, GET and DELETE /session: console sign-in, who am I, sign-out. */
export async function sessionRoutes(app: FastifyInstance, deps: AdminRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  const limit = deps.rateLimit.signin
  const rateLimit =
    limit === 0
      ? undefined
      : {
          max: limit,
          timeWindow: deps.rateLimit.windowSeconds * 1000,
          keyGenerator: (req: { ip: string }) => `admin-signin:${req.ip}`,
        }

  r.post('/session', { schema: signInSchema, config: { rateLimit } }, async (request, reply) => {
    let session: Awaited<ReturnType<typeof deps.service.signIn>>
    try {
      session = await deps.service.signIn({ ...request.body, ip: request.ip })
    } catch (error) {
      // API.md: a failed admin sign-in is 401, where /auth/v1/token answers 400 with the same code.
      if (isStratusError(error, 'auth/invalid-credentials')) {
        const body: ErrorBody = { error: { code: error.code, message: error.message } }
        return (reply as FastifyReply).code(401).type('application/json; charset=utf-8').send(body)
      }
      throw error
    }
    // The audit entry of this sign-in names the admin who signed in.
    request.adminCaller = { type: 'admin', via: 'bearer', token: session.token, ...session.admin }
    setSessionCookies(request, reply, session.token, newSecret(24), deps.sessionTtlSeconds)
    return session
  })

  r.get('/session', { schema: whoAmISchema }, async (request) => {
    const caller = request.adminCaller
    return { admin: caller?.type === 'admin' ? await deps.service.get(caller.id) : null }
  })

  r.delete('/session', { schema: signOutSchema }, async (request, reply) => {
    const admin = signedInAdmin(request)
    await deps.service.signOut(admin.token)
    clearSessionCookies(request, reply)
    return reply.code(204).send(null)
  })
}
