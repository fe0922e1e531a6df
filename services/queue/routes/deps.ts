import type { QueueService } from '../service.ts'

/** What the queue routes need. */
export interface QueueRouteDeps {
  service: QueueService
}
