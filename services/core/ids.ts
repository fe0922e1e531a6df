import { randomBytes } from 'node:crypto'
import { v7 as uuidv7 } from 'uuid'

/** A time-ordered UUIDv7: event ids sort by creation time, which keeps outbox and job-id indexes compact. */
export function newEventId(): string {
  return uuidv7()
}

/**
 * A 20-character URL-safe random id (120 bits), the shape of Firestore auto-ids: used for documents,
 * users and executions where clients may also choose their own ids.
 */
export function newId(): string {
  return randomBytes(15).toString('base64url')
}

/** An opaque random secret of `bytes` bytes (refresh tokens, one-time tokens). */
export function newSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url')
}

/** Ids that clients may choose: 1-128 characters of `[A-Za-z0-9_-]` (API.md). */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/
