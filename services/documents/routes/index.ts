import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { adminCollectionRoutes } from './admin-collections.ts'
import { batchRoute } from './batch.ts'
import { createRoute } from './create.ts'
import { deleteRoute } from './delete.ts'
import type { DocumentsRouteDeps } from './deps.ts'
import { getRoute } from './get.ts'
import { listRoute } from './list.ts'
import { setRoute } from './set.ts'
import { updateRoute } from './update.ts'

export type { DocumentsRouteDeps }

/** The public document database API, mounted at `/db/v1`. */
export function documentsRoutes(deps: DocumentsRouteDeps): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    for (const routes of [createRoute, listRoute, getRoute, setRoute, updateRoute, deleteRoute, batchRoute]) {
      await routes(app, deps)
    }
  }
}

/** The document database admin API, mounted under `/admin/v1` (behind the service-key guard). */
export function documentsAdminRoutes(deps: DocumentsRouteDeps): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    await adminCollectionRoutes(app, deps)
  }
}
