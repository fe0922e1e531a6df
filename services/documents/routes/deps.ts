import type { DocumentsService } from '../service.ts'

/** What the document routes need. */
export interface DocumentsRouteDeps {
  service: DocumentsService
  /** Bytes a document write's body may hold: enough for the largest document the limits allow. */
  documentBodyLimit: number
}
