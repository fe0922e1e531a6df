import type { Config } from '../../core/config.ts'
import type { DevMailbox } from '../mail/dev-mailbox.ts'
import type { AuthService } from '../service.ts'

/** What the auth routes need. */
export interface AuthRouteDeps {
  service: AuthService
  rateLimit: Config['auth']['rateLimit']
  /** The dev mailbox when it is the mail transport (GET /admin/v1/mail reads it). */
  mailbox?: DevMailbox
}
