import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { adminDeadLetterRoutes } from './admin-dead-letters.ts'
import { adminDeployRoutes } from './admin-deploy.ts'
import { adminEventTypeRoutes } from './admin-event-types.ts'
import { adminExecutionDetailRoutes } from './admin-execution.ts'
import { adminExecutionRoutes } from './admin-executions.ts'
import { adminFunctionRoutes } from './admin-functions.ts'
import { adminReplayRoutes } from './admin-replays.ts'
import { adminScheduleRoutes } from './admin-schedules.ts'
import { adminVersionRoutes } from './admin-versions.ts'
import type { FunctionsRouteDeps } from './deps.ts'
import { invokeRoutes } from './invoke.ts'

export type { FunctionsRouteDeps }

/** The public functions API, mounted at `/functions/v1`. */
export function functionsRoutes(deps: FunctionsRouteDeps): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    await invokeRoutes(app, deps)
  }
}

/** The functions admin API, mounted under `/admin/v1` (behind the service-key guard). */
export function functionsAdminRoutes(deps: FunctionsRouteDeps): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    await adminDeployRoutes(app, deps)
    await adminFunctionRoutes(app, deps)
    await adminVersionRoutes(app, deps)
    await adminExecutionRoutes(app, deps)
    await adminExecutionDetailRoutes(app, deps)
    await adminDeadLetterRoutes(app, deps)
    await adminScheduleRoutes(app, deps)
    await adminReplayRoutes(app, deps)
    await adminEventTypeRoutes(app, deps)
  }
}
