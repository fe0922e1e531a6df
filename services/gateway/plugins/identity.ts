import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { AuthContext, SigningKeys } from '../../auth/signing-keys.ts'
import { StratusError } from '../../core/errors.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller, or null for `anon` (no token). Set before any handler runs. */
    auth: AuthContext | null
  }
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (!header) return undefined
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  if (!match)
    throw new StratusError('auth/unauthenticated', 'The Authorization header must be "Bearer <access token>"')
  return match[1]
}

/**
 * Verifies the bearer token of every request (no header = anon). A token that is present but bad is
 * refused here, before any route: a client never gets anon results because its token went stale.
 */
export const identityPlugin = fp(
  async (app: FastifyInstance, options: { keys: SigningKeys }) => {
    app.decorateRequest('auth', null)
    app.addHook('onRequest', (request, _reply, done) => {
      // No header: anon, decided without a promise (most public traffic).
      let token: string | undefined
      try {
        token = bearer(request)
      } catch (error) {
        return done(error as Error)
      }
      if (!token) return done()
      options.keys.verify(token).then(
        (auth) => {
          request.auth = auth
          done()
        },
        (error: Error) => done(error),
      )
    })
  },
  { name: 'stratus-identity' },
)

/** A preHandler for routes only the service key may call (everything under /admin/v1). */
export async function requireService(request: FastifyRequest): Promise<void> {
  if (!request.auth) throw new StratusError('auth/unauthenticated', 'This endpoint needs the service key')
  if (request.auth.role !== 'service')
    throw new StratusError('auth/forbidden', 'This endpoint needs the service key')
}
