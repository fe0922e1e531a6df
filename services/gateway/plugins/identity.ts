import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { AuthContext, SigningKeys } from '../../auth/signing-keys.ts'
import { StratusError } from '../../core/errors.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller, or null for `anon` (no token). Set before any handler runs. */
    auth: AuthContext | null
    /**
     * An admin session token presented as the bearer (checked by the admin scope, the only place it is
     * accepted); null otherwise.
     */
    adminToken: string | null
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

/** Options of the identity plugin. */
export interface IdentityOptions {
  keys: SigningKeys
  /** Tells an admin session token (opaque, not a JWT) from an access token; none = no admin tokens. */
  isAdminToken?: (token: string) => boolean
  /**
   * API keys (opaque, `sk_…`): `authenticate` verifies one and checks its scopes against the request
   * (services/gateway/api-key-access.ts); absent = none accepted.
   */
  apiKeys?: {
    isApiKey(token: string): boolean
    authenticate(token: string, request: FastifyRequest): Promise<AuthContext>
  }
}

const ADMIN_PREFIX = '/admin/v1/'

/**
 * Verifies the bearer token of every request (no header = anon). A token that is present but bad is
 * refused here, before any route: a client never gets anon results because its token went stale.
 * Admin session tokens are set aside for the admin scope, and refused anywhere else: they are not app
 * identities, and treating one as anon would hide the mistake.
 */
export const identityPlugin = fp(
  async (app: FastifyInstance, options: IdentityOptions) => {
    app.decorateRequest('auth', null)
    app.decorateRequest('adminToken', null)
    app.addHook('onRequest', (request, _reply, done) => {
      // No header: anon, decided without a promise (most public traffic).
      let token: string | undefined
      try {
        token = bearer(request)
      } catch (error) {
        return done(error as Error)
      }
      if (!token) return done()
      if (options.isAdminToken?.(token)) {
        if (!request.url.startsWith(ADMIN_PREFIX)) {
          return done(
            new StratusError(
              'auth/unauthenticated',
              'Admin session tokens are accepted only under /admin/v1',
            ),
          )
        }
        request.adminToken = token
        return done()
      }
      const verified = options.apiKeys?.isApiKey(token)
        ? options.apiKeys.authenticate(token, request)
        : options.keys.verify(token)
      verified.then(
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
