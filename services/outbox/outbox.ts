import type { PendingEvent, StratusEvent } from '../core/events.ts'
import { noteWrite } from '../core/trace.ts'
import type { Sql } from '../db/database.ts'

/**
 * Appends events to the outbox inside the caller's transaction: they become visible to the relay only
 * if that transaction commits, which is what makes "the change and its event" atomic. One statement,
 * whatever the number of events; after the commit, a relay in this process is woken at once.
 */
export async function addToOutbox(tx: Sql, events: PendingEvent | readonly PendingEvent[]): Promise<void> {
  const list = Array.isArray(events) ? events : [events as PendingEvent]
  if (list.length === 0) return
  const values: unknown[] = []
  const tuples = list.map((event, i) => {
    values.push(...outboxValues(event, JSON.stringify(event.data)))
    const p = i * 8
    return `($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5}::timestamptz, $${p + 6}::jsonb, $${p + 7}, $${p + 8})`
  })
  // One event per write is the common case: that statement stays prepared.
  await tx.query(`INSERT INTO outbox (${OUTBOX_COLUMNS}) VALUES ${tuples.join(', ')}`, values, {
    prepare: list.length === 1,
  })
  outboxWrittenBy(tx)
}

/** The outbox columns an event fills, in the order of `outboxValues`. */
export const OUTBOX_COLUMNS = 'event_id, type, source, subject, time, data, traceparent, causation_id'

/**
 * An event's values for `OUTBOX_COLUMNS`, with `data` as JSON text (or, for a statement that builds
 * the data itself, whatever parameter that statement expects in its place).
 */
export function outboxValues(event: PendingEvent, data: unknown): unknown[] {
  return [
    event.id,
    event.type,
    event.source,
    event.subject,
    event.time,
    data,
    event.traceparent ?? null,
    event.causationid ?? null,
  ]
}

/**
 * Tells `sql` (a transaction, or the database for a statement that is its own transaction) that it
 * wrote outbox rows, and the trace scope that it wrote events. Every outbox write ends with it.
 */
export function outboxWrittenBy(sql: Sql): void {
  sql.outboxWritten()
  noteWrite()
}

/** An outbox row as the relay and replay read it. */
export interface OutboxRow extends Record<string, unknown> {
  event_id: string
  sequence: number
  type: string
  source: string
  subject: string
  time: Date
  data: unknown
  traceparent: string | null
  causation_id: string | null
}

/** The published shape of an outbox row. */
export function rowToEvent(row: OutboxRow): StratusEvent {
  const event: StratusEvent = {
    specversion: '1.0',
    id: row.event_id,
    source: row.source,
    type: row.type,
    subject: row.subject,
    time: row.time.toISOString(),
    datacontenttype: 'application/json',
    data: row.data,
    sequence: row.sequence,
  }
  if (row.traceparent) event.traceparent = row.traceparent
  if (row.causation_id) event.causationid = row.causation_id
  return event
}

const EVENT_COLUMNS = 'event_id, sequence, type, source, subject, time, data, traceparent, causation_id'

/**
 * Sequenced events after `afterSequence`, in order (at most `limit`): the replay that realtime `since`
 * and catch-up readers use. Only events the relay has sequenced are visible here.
 */
export async function readOutbox(sql: Sql, afterSequence: number, limit: number): Promise<StratusEvent[]> {
  const rows = await sql.query<OutboxRow>(
    `SELECT ${EVENT_COLUMNS} FROM outbox WHERE sequence > $1 ORDER BY sequence LIMIT $2`,
    [afterSequence, limit],
  )
  return rows.map(rowToEvent)
}

/** The highest sequence assigned so far (0 when none). */
export async function lastSequence(sql: Sql): Promise<number> {
  const rows = await sql.query<{ s: number | null }>('SELECT max(sequence) AS s FROM outbox')
  return rows[0]?.s ?? 0
}

export { EVENT_COLUMNS }

/**
 * The published watermark, as an SQL expression: every event with a sequence at or below it is on the
 * bus (the relay publishes in sequence order and records each batch in `outbox_publications`; see
 * migration 20261216000000_outbox_publications). 0 when nothing was published yet.
 */
export const PUBLISHED_THROUGH = '(SELECT coalesce(max(through_sequence), 0) FROM outbox_publications)'

/**
 * When the event with sequence `column` was published, as an SQL expression (null while it waits): the
 * time of the first published batch that reached it.
 */
export function publishedAtOf(column: string): string {
  return `(SELECT p.published_at FROM outbox_publications p WHERE p.through_sequence >= ${column}
    ORDER BY p.through_sequence LIMIT 1)`
}

/** Seconds since the oldest unpublished event was committed (0 when none wait): the relay's lag. */
export async function outboxLagSeconds(sql: Sql): Promise<number> {
  // Unpublished: not sequenced yet (the pending index, oldest id first), or sequenced above the
  // watermark (a batch between numbering and publishing; the sequence index).
  const rows = await sql.query<{ age: number | null }>(
    `SELECT extract(epoch FROM now() - min(created_at))::float8 AS age FROM (
       (SELECT created_at FROM outbox WHERE sequence IS NULL ORDER BY id LIMIT 1)
       UNION ALL
       (SELECT created_at FROM outbox WHERE sequence > ${PUBLISHED_THROUGH} ORDER BY sequence LIMIT 1)
     ) AS oldest`,
  )
  return Math.max(0, rows[0]?.age ?? 0)
}
