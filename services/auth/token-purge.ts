import { deleteInBatches } from '../db/batched-delete.ts'
import type { Sql } from '../db/database.ts'

/**
 * How long after expiry (or revocation) auth rows are kept. A spent refresh token must outlive its
 * own expiry for reuse detection (API.md: presenting it revokes the family); after that an unknown
 * token and an expired one are refused the same way.
 */
const GRACE = "interval '1 day'"
const BATCH = 5000

/** What one purge deleted, by table. */
export type AuthPurgeResult = {
  refreshTokens: number
  sessions: number
  oneTimeTokens: number
  oauthStates: number
  revocations: number
  signinFailures: number
}

/**
 * Deletes what can no longer be used: refresh tokens past expiry, sessions that were revoked or
 * whose every refresh token expired (their access tokens expired long before: the refresh lifetime
 * is the longer one), used or expired one-time tokens (recovery, verification) and expired OAuth
 * states and lapsed revocations. Each in batches, so no statement holds locks for long.
 */
export async function purgeAuthTokens(db: Sql): Promise<AuthPurgeResult> {
  return {
    refreshTokens: await purge(
      db,
      `DELETE FROM auth_refresh_tokens WHERE token_hash IN (
         SELECT token_hash FROM auth_refresh_tokens WHERE expires_at < now() - ${GRACE} LIMIT ${BATCH})`,
    ),
    sessions: await purge(
      db,
      `DELETE FROM auth_sessions WHERE id IN (
         SELECT s.id FROM auth_sessions s
         WHERE (s.revoked_at IS NOT NULL AND s.revoked_at < now() - ${GRACE})
            OR (s.created_at < now() - ${GRACE}
                AND NOT EXISTS (SELECT 1 FROM auth_refresh_tokens t WHERE t.session_id = s.id))
         LIMIT ${BATCH})`,
    ),
    oneTimeTokens: await purge(
      db,
      `DELETE FROM auth_one_time_tokens WHERE token_hash IN (
         SELECT token_hash FROM auth_one_time_tokens
         WHERE expires_at < now() - ${GRACE} OR used_at < now() - ${GRACE} LIMIT ${BATCH})`,
    ),
    oauthStates: await purge(
      db,
      `DELETE FROM auth_oauth_states WHERE state_hash IN (
         SELECT state_hash FROM auth_oauth_states WHERE expires_at < now() LIMIT ${BATCH})`,
    ),
    // Every token a revocation refuses has expired by then.
    revocations: await purge(
      db,
      `DELETE FROM auth_revocations WHERE (kind, subject) IN (
         SELECT kind, subject FROM auth_revocations WHERE expires_at < now() LIMIT ${BATCH})`,
    ),
    // Sign-in windows last a day at most (RATE_LIMIT_WINDOW_SECONDS).
    signinFailures: await purge(
      db,
      `DELETE FROM auth_signin_failures WHERE account_hash IN (
         SELECT account_hash FROM auth_signin_failures WHERE window_start < now() - ${GRACE} LIMIT ${BATCH})`,
    ),
  }
}

/** One of the purges above: a DELETE of at most BATCH rows, run until a run removes fewer. */
function purge(db: Sql, deleteSql: string): Promise<number> {
  return deleteInBatches(db, deleteSql, [], BATCH)
}
