import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { adminQueueRoutes } from './admin-queues.ts'
import type { QueueRouteDeps } from './deps.ts'
import { publishRoutes } from './publish.ts'

export type { QueueRouteDeps }

/** The public queue API, mounted at `/queue/v1`. */
export function queueRoutes(deps: QueueRouteDeps): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    await publishRoutes(app, deps)
  }
}

/** The queue admin API, mounted under `/admin/v1`. */
export function queueAdminRoutes(deps: QueueRouteDeps): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    await adminQueueRoutes(app, deps)
  }
}
