import type { DatabaseService } from '../service.ts'

/** What the database routes need. */
export interface DatabaseRouteDeps {
  service: DatabaseService
  /** Bytes a document write's body may hold: enough for the largest document the limits allow. */
  documentBodyLimit: number
}
