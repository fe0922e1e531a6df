import type { StorageService } from '../service.ts'

/** What the storage routes need. */
export interface StorageRouteDeps {
  service: StorageService
  /** The largest upload the platform accepts (STORAGE_MAX_FILE_SIZE): the upload route's body limit. */
  maxFileSize: number
}
