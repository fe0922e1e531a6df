import type { Logger } from '../core/logger.ts'
import { deleteInBatches } from '../db/batched-delete.ts'
import type { Database } from '../db/database.ts'

/** A request span as `trace_spans` keeps it (a request that wrote events, or a function's write). */
export interface StoredSpan {
  traceId: string
  spanId: string
  parentId?: string
  kind: 'request' | 'write'
  name: string
  /** Epoch milliseconds. */
  start: number
  durationMs: number
  statusCode: number
  attributes: Record<string, unknown>
}

/** The most request spans one trace answers with. */
const MAX_TRACE_SPANS = 5000
const DELETE_BATCH = 5000

/**
 * The `trace_spans` table: request spans written in batches (one multi-row INSERT per `lingerMs`, or at
 * once when `maxBatch` wait), so a request that wrote events costs its span a push onto an array. A
 * span that cannot be written is dropped with a warning: the trace API then derives the request from
 * its events (see traces.ts), so a lost row loses a name and a duration, never the tree.
 */
export class SpanStore {
  private readonly db: Database
  private readonly logger: Logger
  private readonly lingerMs: number
  private readonly maxBatch: number
  private readonly maxPending: number
  private pending: StoredSpan[] = []
  private timer: NodeJS.Timeout | undefined
  private writing: Promise<void> = Promise.resolve()
  private closed = false

  constructor(
    db: Database,
    options: { logger: Logger; lingerMs?: number; maxBatch?: number; maxPending?: number },
  ) {
    this.db = db
    this.logger = options.logger
    this.lingerMs = options.lingerMs ?? 100
    this.maxBatch = options.maxBatch ?? 500
    this.maxPending = options.maxPending ?? 20_000
  }

  /** Queues `span` for the next batch (dropped beyond `maxPending`, or once closed). */
  add(span: StoredSpan): void {
    if (this.closed || this.pending.length >= this.maxPending) return
    this.pending.push(span)
    if (this.pending.length >= this.maxBatch) void this.flushed()
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flushed(), this.lingerMs)
      this.timer.unref()
    }
  }

  /** Writes everything queued so far, now; resolves once it is written (or dropped). */
  flushed(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    this.writing = this.writing.then(() => this.write())
    return this.writing
  }

  /** Writes what is queued and takes no more. */
  async close(): Promise<void> {
    this.closed = true
    await this.flushed()
  }

  /** The request spans of trace `traceId`. */
  async spansOf(traceId: string): Promise<StoredSpan[]> {
    const rows = await this.db.query<{
      span_id: string
      parent_id: string | null
      kind: 'request' | 'write'
      name: string
      started_at: Date
      duration_ms: number
      status_code: number
      attributes: Record<string, unknown>
    }>(
      `SELECT span_id, parent_id, kind, name, started_at, duration_ms, status_code, attributes
       FROM trace_spans WHERE trace_id = $1 ORDER BY started_at LIMIT $2`,
      [traceId, MAX_TRACE_SPANS],
    )
    return rows.map((row) => ({
      traceId,
      spanId: row.span_id,
      ...(row.parent_id ? { parentId: row.parent_id } : {}),
      kind: row.kind,
      name: row.name,
      start: row.started_at.getTime(),
      durationMs: row.duration_ms,
      statusCode: row.status_code,
      attributes: row.attributes ?? {},
    }))
  }

  /** Deletes spans older than `hours` (kept as long as the outbox keeps events); a housekeeping task. */
  prune(hours: number): Promise<number> {
    return deleteInBatches(
      this.db,
      `DELETE FROM trace_spans WHERE ctid IN (
         SELECT ctid FROM trace_spans WHERE started_at < now() - make_interval(hours => $1) LIMIT ${DELETE_BATCH})`,
      [hours],
      DELETE_BATCH,
    )
  }

  private async write(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch)
      try {
        await this.db.query(
          `INSERT INTO trace_spans
             (trace_id, span_id, parent_id, kind, name, started_at, duration_ms, status_code, attributes)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
                                $7::float8[], $8::int[], $9::jsonb[])
           ON CONFLICT DO NOTHING`,
          [
            batch.map((s) => s.traceId),
            batch.map((s) => s.spanId),
            batch.map((s) => s.parentId ?? null),
            batch.map((s) => s.kind),
            batch.map((s) => s.name),
            batch.map((s) => new Date(s.start).toISOString()),
            batch.map((s) => s.durationMs),
            batch.map((s) => s.statusCode),
            batch.map((s) => JSON.stringify(s.attributes)),
          ],
          { prepare: true },
        )
      } catch (error) {
        this.logger.warn({ err: error, dropped: batch.length }, 'observability: request spans lost')
      }
    }
  }
}
