import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import type { ObservabilityRouteDeps } from './deps.ts'
import { eventsRoutes } from './events.ts'
import { nodesRoutes } from './nodes.ts'
import { seriesRoutes } from './series.ts'
import { tracesRoutes } from './traces.ts'
import { usageRoutes } from './usage.ts'

export type { ObservabilityRouteDeps }

/** The observability admin API, mounted under `/admin/v1`. */
export function observabilityAdminRoutes(deps: ObservabilityRouteDeps): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    await seriesRoutes(app, deps)
    await nodesRoutes(app, deps)
    await usageRoutes(app, deps)
    await tracesRoutes(app, deps)
    await eventsRoutes(app, deps)
  }
}
