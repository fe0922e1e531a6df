import type { Database } from '../db/database.ts'
import { PUBLISHED_THROUGH } from '../outbox/outbox.ts'

/** A stored message not yet handed to its consumers. */
export interface BacklogMessage {
  id: string
  queue: string
  payload: unknown
  availableAt: Date
  createdAt: Date
  /** The outbox sequence of its publish event, or null when the outbox row is gone (retention). */
  sequence: number | null
  /** Its publish event's trace context and cause (null on messages from before tracing). */
  traceparent: string | null
  causationId: string | null
}

/**
 * The queue tables as the functions runtime and housekeeping need them (delivery bookkeeping, backlog,
 * retention), so that they read and write them through the queue service's module instead of their own SQL.
 */
export class QueueStore {
  private readonly db: Database

  constructor(db: Database) {
    this.db = db
  }

  /**
   * Every known queue, by name, with its messages not yet handed to a consumer, and when the oldest of
   * those that are due became due (its publish, or the end of its delay; null when none is due).
   */
  async undispatchedCounts(): Promise<{ name: string; undispatched: number; oldestDueAt: Date | null }[]> {
    const rows = await this.db.query<{ name: string; undispatched: number; oldest_due_at: Date | null }>(
      `SELECT q.name,
         (SELECT count(*)::int FROM queue_messages m WHERE m.queue = q.name AND m.dispatched_at IS NULL) AS undispatched,
         (SELECT min(greatest(m.created_at, m.available_at)) FROM queue_messages m
          WHERE m.queue = q.name AND m.dispatched_at IS NULL AND m.available_at <= now()) AS oldest_due_at
       FROM queues q ORDER BY q.name`,
    )
    return rows.map((r) => ({ name: r.name, undispatched: r.undispatched, oldestDueAt: r.oldest_due_at }))
  }

  /** Records that message `id` was handed to its consumers (once: a second call changes nothing). */
  async markDispatched(id: string): Promise<void> {
    await this.db.query(
      'UPDATE queue_messages SET dispatched_at = now() WHERE id = $1 AND dispatched_at IS NULL',
      [id],
    )
  }

  /**
   * Up to 500 messages of `queues` not handed over yet, oldest due first, whose publish event the relay
   * has published (the others are the dispatcher's). With `dueWithinMs`, only those due by then.
   */
  async backlog(queues: readonly string[], dueWithinMs: number | null): Promise<BacklogMessage[]> {
    const rows = await this.db.query<{
      id: string
      queue: string
      payload: unknown
      available_at: Date
      created_at: Date
      sequence: number | null
      traceparent: string | null
      causation_id: string | null
    }>(
      `SELECT m.id, m.queue, m.payload, m.available_at, m.created_at, o.sequence, m.traceparent, m.causation_id
       FROM queue_messages m LEFT JOIN outbox o ON o.event_id = m.id
       WHERE m.dispatched_at IS NULL AND m.queue = ANY($1::text[])
         AND (o.event_id IS NULL OR o.sequence <= ${PUBLISHED_THROUGH})
         AND ($2::int IS NULL OR m.available_at <= now() + make_interval(secs => $2::int / 1000.0))
       ORDER BY m.available_at, m.created_at LIMIT 500`,
      [queues, dueWithinMs],
    )
    return rows.map((row) => ({
      id: row.id,
      queue: row.queue,
      payload: row.payload,
      availableAt: row.available_at,
      createdAt: row.created_at,
      sequence: row.sequence,
      traceparent: row.traceparent,
      causationId: row.causation_id,
    }))
  }

  /**
   * Deletes messages handed over more than `hours` ago, and dedup entries whose window has passed (a
   * housekeeping task on worker nodes). Says how many of each went.
   */
  async prune(hours: number): Promise<{ messages: number; dedup: number }> {
    const [messages] = await this.db.query<{ n: number }>(
      `WITH gone AS (
         DELETE FROM queue_messages WHERE dispatched_at IS NOT NULL AND dispatched_at < now() - make_interval(hours => $1)
         RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [hours],
    )
    const [dedup] = await this.db.query<{ n: number }>(
      'WITH gone AS (DELETE FROM queue_dedup WHERE expires_at < now() RETURNING 1) SELECT count(*)::int AS n FROM gone',
    )
    return { messages: messages?.n ?? 0, dedup: dedup?.n ?? 0 }
  }
}
