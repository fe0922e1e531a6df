import { createHash } from 'node:crypto'
import { StratusError } from '../core/errors.ts'
import type { Sql } from '../db/database.ts'

/** Options of the per-account sign-in throttle. */
export interface SigninThrottleOptions {
  db: Sql
  /** Failed sign-ins per account per window before it is throttled; 0 = unlimited. */
  maxFailures: number
  windowSeconds: number
}

interface CountRow extends Record<string, unknown> {
  failures: number
  retry_after: number
}

/**
 * Counts failed password sign-ins per account across every client address (the per-IP limit does not
 * stop guesses spread over many addresses). Counters live in the database, so every node shares them,
 * and are keyed by the sha256 of the normalised email whether or not an account has that address: an
 * unknown address is counted, throttled and answered exactly like a known one, so the throttle tells
 * nobody which addresses exist. A throttled account refuses every password sign-in until its window
 * ends, the right password included (or the guessing would go on); a successful sign-in clears it.
 */
export class SigninThrottle {
  private readonly options: SigninThrottleOptions

  constructor(options: SigninThrottleOptions) {
    this.options = options
  }

  /**
   * Throws `rate-limited` (429) when `email` (normalised) has used up its failures in this window;
   * otherwise returns whether it has failures counted (to clear after a success).
   */
  async check(email: string): Promise<boolean> {
    if (this.options.maxFailures === 0) return false
    const [row] = await this.options.db.query<CountRow>(
      `SELECT failures,
              ceil(extract(epoch FROM window_start + make_interval(secs => $2) - now()))::int AS retry_after
       FROM auth_signin_failures
       WHERE account_hash = $1 AND window_start > now() - make_interval(secs => $2)`,
      [accountHash(email), this.options.windowSeconds],
      { prepare: true },
    )
    if (row && row.failures >= this.options.maxFailures) {
      throw new StratusError(
        'rate-limited',
        'Too many failed sign-ins for this account; retry later or reset the password',
        { details: { retryAfterSeconds: Math.max(1, row.retry_after) } },
      )
    }
    return row !== undefined
  }

  /** Counts one failed sign-in of `email`, opening a new window when the last one has ended. */
  async recordFailure(email: string): Promise<void> {
    if (this.options.maxFailures === 0) return
    await this.options.db.query(
      `INSERT INTO auth_signin_failures AS f (account_hash, window_start, failures) VALUES ($1, now(), 1)
       ON CONFLICT (account_hash) DO UPDATE SET
         failures = CASE WHEN f.window_start <= now() - make_interval(secs => $2) THEN 1 ELSE f.failures + 1 END,
         window_start = CASE WHEN f.window_start <= now() - make_interval(secs => $2) THEN now() ELSE f.window_start END`,
      [accountHash(email), this.options.windowSeconds],
    )
  }

  /** Forgets the failures of `email` (after a successful sign-in). */
  async clear(email: string): Promise<void> {
    if (this.options.maxFailures === 0) return
    await this.options.db.query('DELETE FROM auth_signin_failures WHERE account_hash = $1', [
      accountHash(email),
    ])
  }
}

/** The counter key of an address: never the address itself. */
function accountHash(email: string): string {
  return createHash('sha256').update(`signin:${email}`).digest('hex')
}
