import type { StratusEvent } from '../core/events.ts'
import type { Sql } from '../db/database.ts'
import { EVENT_COLUMNS, type OutboxRow, PUBLISHED_THROUGH, publishedAtOf, rowToEvent } from './outbox.ts'

/**
 * Reading the retained events (the outbox, as long as retention keeps it) for the trace and events
 * APIs. Only sequenced events are read: what the relay has numbered, in the order subscribers got it.
 */

/** A retained event and when the bus took it (null while it waits for the relay). */
export interface LoggedEvent {
  event: StratusEvent
  publishedAt: Date | null
}

/** The most events one trace answers with (a fan-out larger than this is cut). */
export const MAX_TRACE_EVENTS = 5000

/**
 * The published events of trace `traceId`, by sequence, through the trace index of migration
 * 20261216000000_outbox_publications (an event the relay has not published yet, a matter of
 * milliseconds, is not there yet).
 */
export async function eventsOfTrace(sql: Sql, traceId: string): Promise<LoggedEvent[]> {
  const rows = await sql.query<OutboxRow & { published_at: Date | null }>(
    `SELECT ${EVENT_COLUMNS}, ${publishedAtOf('outbox.sequence')} AS published_at FROM outbox
     WHERE substr(traceparent, 4, 32) = $1 AND sequence IS NOT NULL AND traceparent IS NOT NULL
       AND sequence <= ${PUBLISHED_THROUGH}
     ORDER BY sequence LIMIT $2`,
    [traceId, MAX_TRACE_EVENTS],
  )
  return rows.map((row) => ({ event: rowToEvent(row), publishedAt: row.published_at }))
}

/** A page request of `listEvents`. */
export interface EventFilter {
  /** Event types to keep (any, when undefined). */
  types?: readonly string[]
  /** A POSIX regular expression the subject must match, and the literal prefix it implies (may be ''). */
  subject?: { regex: string; prefix: string }
  /** Ascending: sequences from this one up; descending: from this one down. */
  fromSequence?: number
  /** Strictly after (ascending) or before (descending) this sequence: the previous page's last. */
  afterSequence?: number
  order: 'asc' | 'desc'
  limit: number
}

/** One page of retained events in sequence order, and whether more follow. */
export async function listEvents(
  sql: Sql,
  filter: EventFilter,
): Promise<{ events: LoggedEvent[]; more: boolean }> {
  const where = ['sequence IS NOT NULL']
  const params: unknown[] = []
  const add = (clause: string, value: unknown) => {
    params.push(value)
    where.push(clause.replaceAll('?', `$${params.length}`))
  }
  const asc = filter.order === 'asc'
  if (filter.types) add('type = ANY(?::text[])', filter.types)
  if (filter.subject) {
    // The prefix lets the planner use the subject index; the expression decides.
    if (filter.subject.prefix) add("subject LIKE ? ESCAPE '\\'", `${escapeLike(filter.subject.prefix)}%`)
    add('subject ~ ?', filter.subject.regex)
  }
  if (filter.fromSequence !== undefined) add(asc ? 'sequence >= ?' : 'sequence <= ?', filter.fromSequence)
  if (filter.afterSequence !== undefined) add(asc ? 'sequence > ?' : 'sequence < ?', filter.afterSequence)
  params.push(filter.limit + 1)
  const rows = await sql.query<OutboxRow & { published_at: Date | null }>(
    `SELECT ${EVENT_COLUMNS}, ${publishedAtOf('outbox.sequence')} AS published_at FROM outbox
     WHERE ${where.join(' AND ')}
     ORDER BY sequence ${asc ? 'ASC' : 'DESC'} LIMIT $${params.length}`,
    params,
  )
  const more = rows.length > filter.limit
  return {
    events: rows
      .slice(0, filter.limit)
      .map((row) => ({ event: rowToEvent(row), publishedAt: row.published_at })),
    more,
  }
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`)
}
