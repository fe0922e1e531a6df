import type { ObservabilityService } from '../service.ts'

/** What the observability routes need. */
export interface ObservabilityRouteDeps {
  service: ObservabilityService
}
