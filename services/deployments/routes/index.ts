import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { deployRoutes } from './deploy.ts'
import type { DeploymentsRouteDeps } from './deps.ts'
import { historyRoutes } from './history.ts'
import { liveRoutes } from './live.ts'
import { rollbackRoutes } from './rollback.ts'

export type { DeploymentsRouteDeps }

/** The app-as-code deployments API, mounted under `/admin/v1`. */
export function deploymentsAdminRoutes(deps: DeploymentsRouteDeps): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    await deployRoutes(app, deps)
    await liveRoutes(app, deps)
    await historyRoutes(app, deps)
    await rollbackRoutes(app, deps)
  }
}
