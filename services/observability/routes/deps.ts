import type { ObservabilityService } from '../service.ts'
import type { TracesService } from '../traces.ts'

/** What the observability routes need. */
export interface ObservabilityRouteDeps {
  service: ObservabilityService
  /** Traces and the retained events. */
  traces: TracesService
}
