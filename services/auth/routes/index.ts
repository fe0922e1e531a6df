import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { adminMailRoutes } from './admin-mail.ts'
import { adminUserRoutes } from './admin-users.ts'
import type { AuthRouteDeps } from './deps.ts'
import { jwksRoutes } from './jwks.ts'
import { logoutRoutes } from './logout.ts'
import { recoverRoutes } from './recover.ts'
import { signupRoutes } from './signup.ts'
import { tokenRoutes } from './token.ts'
import { userRoutes } from './user.ts'
import { verifyRoutes } from './verify.ts'

export type { AuthRouteDeps }

/** The public auth API, mounted at `/auth/v1`. */
export function authRoutes(deps: AuthRouteDeps): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    for (const routes of [
      signupRoutes,
      tokenRoutes,
      userRoutes,
      logoutRoutes,
      recoverRoutes,
      verifyRoutes,
      jwksRoutes,
    ]) {
      await routes(app, deps)
    }
  }
}

/** The auth admin API, mounted under `/admin/v1` (behind the service-key guard). */
export function authAdminRoutes(deps: AuthRouteDeps): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    await adminUserRoutes(app, deps)
    await adminMailRoutes(app, deps)
  }
}
