import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { adminAccountRoutes } from './admins.ts'
import { apiKeyRoutes } from './api-keys.ts'
import { auditRoutes } from './audit.ts'
import type { AdminRouteDeps } from './deps.ts'
import { keyRoutes } from './keys.ts'
import { sessionRoutes } from './session.ts'
import { sessionFactorRoutes } from './session-factors.ts'

export { type AdminCaller, auditActor } from './caller.ts'
export { CSRF_COOKIE, CSRF_HEADER, readCookie, SESSION_COOKIE } from './cookies.ts'
export { type RulesRouteDeps, rulesAdminRoutes } from './rules.ts'
export type { AdminRouteDeps }

/** Admin accounts, console sessions, the audit log, keys and API keys, mounted under `/admin/v1`. */
export function adminAccountsRoutes(deps: AdminRouteDeps): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    await sessionRoutes(app, deps)
    await sessionFactorRoutes(app, deps)
    await adminAccountRoutes(app, deps)
    await auditRoutes(app, deps)
    await keyRoutes(app, deps)
    await apiKeyRoutes(app, deps)
  }
}
