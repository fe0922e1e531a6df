import type { StorageService } from '../service.ts'

/** What the storage routes need. */
export interface StorageRouteDeps {
  service: StorageService
  /** The largest upload the platform accepts (STORAGE_MAX_FILE_SIZE): the upload route's body limit. */
  maxFileSize: number
  /**
   * The path signed URLs point at (default: where these routes are mounted). Set when the routes are
   * mounted a second time behind credentials (`/admin/v1/app/storage/v1`): a signed URL must work with
   * none, so it names the public mount.
   */
  signedUrlPrefix?: string
}
