import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { adminBucketRoutes } from './admin-buckets.ts'
import type { StorageRouteDeps } from './deps.ts'
import { listRoutes } from './list.ts'
import { objectDeleteRoutes } from './object-delete.ts'
import { objectGetRoutes } from './object-get.ts'
import { objectPutRoutes } from './object-put.ts'
import { signRoutes } from './sign.ts'

export type { StorageRouteDeps }

/** The public storage API, mounted at `/storage/v1`. */
export function storageRoutes(deps: StorageRouteDeps): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    await listRoutes(app, deps)
    await signRoutes(app, deps)
    // Object bytes: an encapsulated context whose only body parser hands the raw request stream to the
    // handler, so uploads are never buffered by the gateway's JSON parser (and any content-type is kept).
    await app.register(async (objects) => {
      objects.removeAllContentTypeParsers()
      objects.addContentTypeParser('*', (_request, payload, done) => done(null, payload))
      // An upload refused before its end (too large, denied) leaves unread bytes on the socket: the
      // gateway's bounded drain (plugins/bounded-drain.ts) reads them off before the connection is reused.
      await objectPutRoutes(objects, deps)
      await objectGetRoutes(objects, deps)
      await objectDeleteRoutes(objects, deps)
    })
  }
}

/** The storage admin API, mounted under `/admin/v1` (behind the service-key guard). */
export function storageAdminRoutes(deps: StorageRouteDeps): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    await adminBucketRoutes(app, deps)
  }
}
