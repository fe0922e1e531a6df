import { StratusError } from '../core/errors.ts'
import { parseWhere, type WhereClause } from '../documents/query/query.ts'

/**
 * The wire protocol of `/realtime/v1` (API.md "Realtime"): JSON text frames. This module parses what
 * clients send (never throwing anything but a `StratusError` with a public code) and builds what the
 * server sends, as strings, so a change fanned out to thousands of subscribers is serialised once.
 */

/** Ids, collection names and document ids: 1-128 characters of `[A-Za-z0-9_-]`. */
const NAME_PATTERN = /^[A-Za-z0-9_-]{1,128}$/

/** A subscription id is any string a client picks, within reason. */
const MAX_SUBSCRIPTION_ID_LENGTH = 128

/** `{"type":"subscribe",…}` once parsed. */
export interface SubscribeFrame {
  type: 'subscribe'
  id: string
  collection: string
  where: WhereClause[]
  docId?: string
  since?: number
}

/** Every frame a client may send. */
export type ClientFrame =
  | SubscribeFrame
  | { type: 'unsubscribe'; id: string }
  | { type: 'ping' }
  | { type: 'auth'; access_token: string }

/** The event of a change frame: the document database's `db.document.<event>`. */
export type ChangeKind = 'created' | 'updated' | 'deleted'

function invalid(message: string, id?: string, field?: string): StratusError {
  return new StratusError('request/invalid', message, {
    details: { ...(id ? { id } : {}), ...(field ? { field } : {}) },
  })
}

/**
 * Parses one text frame. Errors are `request/invalid` (not JSON, unknown type, bad field) or
 * `db/invalid-query` (a bad `where`), with `details.id` naming the subscription when the frame had one.
 */
export function parseClientFrame(text: string, maxWhereDepth = 100): ClientFrame {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw invalid('A frame must be a JSON object')
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw invalid('A frame must be a JSON object')
  const frame = raw as Record<string, unknown>
  const id = typeof frame.id === 'string' ? frame.id : undefined
  switch (frame.type) {
    case 'ping':
      return { type: 'ping' }
    case 'auth':
      if (typeof frame.access_token !== 'string' || frame.access_token.length === 0) {
        throw invalid('An auth frame needs "access_token": a non-empty string', undefined, 'access_token')
      }
      return { type: 'auth', access_token: frame.access_token }
    case 'unsubscribe':
      return { type: 'unsubscribe', id: subscriptionId(frame.id) }
    case 'subscribe': {
      const sid = subscriptionId(frame.id)
      if (typeof frame.collection !== 'string' || !NAME_PATTERN.test(frame.collection)) {
        throw invalid('"collection" must be 1-128 characters of [A-Za-z0-9_-]', sid, 'collection')
      }
      if (frame.docId !== undefined && (typeof frame.docId !== 'string' || !NAME_PATTERN.test(frame.docId))) {
        throw invalid('"docId" must be 1-128 characters of [A-Za-z0-9_-]', sid, 'docId')
      }
      if (
        frame.since !== undefined &&
        (typeof frame.since !== 'number' || !Number.isSafeInteger(frame.since) || frame.since < 0)
      ) {
        throw invalid('"since" must be a sequence: an integer >= 0', sid, 'since')
      }
      let where: WhereClause[] = []
      if (frame.where !== undefined) {
        try {
          where = parseWhere(frame.where, maxWhereDepth)
        } catch (error) {
          if (error instanceof StratusError) {
            throw new StratusError(error.code, error.message, {
              details: { id: sid, ...asObject(error.details) },
            })
          }
          throw error
        }
      }
      return {
        type: 'subscribe',
        id: sid,
        collection: frame.collection,
        where,
        ...(frame.docId !== undefined ? { docId: frame.docId as string } : {}),
        ...(frame.since !== undefined ? { since: frame.since as number } : {}),
      }
    }
    default:
      throw invalid('"type" must be one of subscribe, unsubscribe, ping, auth', id, 'type')
  }
}

function asObject(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
}

function subscriptionId(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_SUBSCRIPTION_ID_LENGTH) {
    throw invalid(`"id" must be a string of 1-${MAX_SUBSCRIPTION_ID_LENGTH} characters`, undefined, 'id')
  }
  return value
}

// ---- server frames ----

/** `{"type":"pong"}` */
export const PONG_FRAME = '{"type":"pong"}'

/** `{"type":"subscribed","id":…,"sequence":n}`: every matching change after `sequence` will be sent. */
export function subscribedFrame(id: string, sequence: number): string {
  return JSON.stringify({ type: 'subscribed', id, sequence })
}

/** `{"type":"error","id"?,"error":{code,message}}` */
export function errorFrame(error: { code: string; message: string }, id?: string): string {
  return JSON.stringify({
    type: 'error',
    ...(id !== undefined ? { id } : {}),
    error: { code: error.code, message: error.message },
  })
}

/**
 * A change frame, from JSON already serialised once per event. `matches: false` marks an update that
 * took the document out of the subscription (its `where`, or its read rule): the client drops it, and
 * no further changes of it are sent until it matches again. When the read rule no longer allows the
 * document, `documentJson` is the document without `data`. `traceparent` is the event's trace context
 * (absent for events from before tracing), so a client can follow a change back to its trace.
 */
export function changeFrame(
  id: string,
  change: { sequence: number; traceparent?: string },
  event: ChangeKind,
  documentJson: string,
  previousJson: string | undefined,
  matches = true,
): string {
  return (
    `{"type":"change","id":${JSON.stringify(id)},"sequence":${change.sequence},"event":"${event}","document":${documentJson}` +
    (previousJson !== undefined ? `,"previous":${previousJson}` : '') +
    (change.traceparent !== undefined ? `,"traceparent":${JSON.stringify(change.traceparent)}` : '') +
    (matches ? '}' : ',"matches":false}')
  )
}
