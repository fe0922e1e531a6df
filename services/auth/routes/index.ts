import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { adminAuthProviderRoutes } from './admin-auth-providers.ts'
import { adminAuthSettingsRoutes } from './admin-auth-settings.ts'
import { adminMailRoutes } from './admin-mail.ts'
import { adminUserFactorRoutes } from './admin-user-factors.ts'
import { adminUserSessionRoutes } from './admin-user-sessions.ts'
import { adminUserRoutes } from './admin-users.ts'
import { authorizeRoutes } from './authorize.ts'
import { callbackRoutes } from './callback.ts'
import type { AuthRouteDeps } from './deps.ts'
import { factorVerifyRoutes } from './factor-verify.ts'
import { factorRoutes } from './factors.ts'
import { jwksRoutes } from './jwks.ts'
import { logoutRoutes } from './logout.ts'
import { recoverRoutes } from './recover.ts'
import { recoveryCodeRoutes } from './recovery-codes.ts'
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
      authorizeRoutes,
      callbackRoutes,
      factorRoutes,
      factorVerifyRoutes,
      recoveryCodeRoutes,
    ]) {
      await routes(app, deps)
    }
  }
}

/** The auth admin API, mounted under `/admin/v1` (behind the service-key guard). */
export function authAdminRoutes(deps: AuthRouteDeps): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    await adminUserRoutes(app, deps)
    await adminUserSessionRoutes(app, deps)
    await adminUserFactorRoutes(app, deps)
    await adminMailRoutes(app, deps)
    await adminAuthProviderRoutes(app, deps)
    await adminAuthSettingsRoutes(app, deps)
  }
}
