import type { SigningKeys } from '../../auth/signing-keys.ts'
import type { Config } from '../../core/config.ts'
import type { ApiKeyService } from '../api-keys.ts'
import type { AdminService } from '../service.ts'

/** What the admin routes need. */
export interface AdminRouteDeps {
  service: AdminService
  /**
   * The project's signing keys (GET /keys shows the service key, POST /keys/rotate adds a signing key,
   * POST /keys/service/rotate replaces the service key).
   */
  keys: SigningKeys
  /** Scoped API keys (/api-keys). */
  apiKeys: ApiKeyService
  /** Sign-in counts against RATE_LIMIT_SIGNIN per IP, TOTP enrolment codes against RATE_LIMIT_MFA per admin. */
  rateLimit: Config['auth']['rateLimit']
  /** Lifetime of console sessions (and of their cookies). */
  sessionTtlSeconds: number
}
