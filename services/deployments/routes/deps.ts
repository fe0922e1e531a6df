import type { DeploymentsService } from '../service.ts'

/** What the deployments routes need. */
export interface DeploymentsRouteDeps {
  service: DeploymentsService
  /** The largest POST /deployments body: a manifest carries every function's bundled code. */
  bodyLimit: number
}
