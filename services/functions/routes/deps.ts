import type { FunctionsRuntime } from '../../../functions-runtime/runtime.ts'
import type { FunctionsService } from '../service.ts'

/** What the functions routes need. */
export interface FunctionsRouteDeps {
  service: FunctionsService
  /** HTTP invocations run in this process's sandbox pool. */
  runtime: FunctionsRuntime
}
