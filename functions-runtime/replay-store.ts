import type { StratusEvent } from '../services/core/events.ts'
import { globTokens } from '../services/core/glob.ts'
import type { Database, Row } from '../services/db/database.ts'
import type { ReplayStatus, ReplayView, Trigger } from '../services/functions/model.ts'
import { triggerableTypes } from '../services/functions/trigger-check.ts'
import { EVENT_COLUMNS, type OutboxRow, rowToEvent } from '../services/outbox/outbox.ts'

/**
 * A subject glob as a PostgreSQL regular expression accepting what `globToRegExp` accepts: `*` is
 * `[^/]*`, `**` any characters but JavaScript's line terminators (what `.` leaves out there), `?` one
 * character of a segment; ASCII punctuation is escaped (a backslash before any other character would
 * be an escape in Postgres), everything else is literal.
 */
export function subjectGlobToPostgres(glob: string): string {
  let source = ''
  for (const token of globTokens(glob)) {
    if (token.kind === 'char') source += /[!-/:-@[-`{-~]/.test(token.char) ? `\\${token.char}` : token.char
    else {
      const chars = token.chars === 'any' ? '[^\\n\\r\\u2028\\u2029]' : '[^/]'
      source += token.kind === 'many' ? `${chars}*` : chars
    }
  }
  return `^${source}$`
}

/** What a replay reads from the outbox: per event trigger, its types and its subject as a regex. */
export interface ReplayFilter {
  types: string[]
  subject: string | null
}

/** The outbox filters of `triggers`' event triggers (none: the function has nothing to replay). */
export function replayFilters(triggers: readonly Trigger[]): ReplayFilter[] {
  return triggers.flatMap((t) => {
    if (t.type !== 'event') return []
    const types = triggerableTypes(t.event)
    return types.length > 0
      ? [{ types, subject: t.subject === undefined ? null : subjectGlobToPostgres(t.subject) }]
      : []
  })
}

/** Bounds of a replay, inclusive; the times are events' `time`. */
export interface ReplayBounds {
  fromSequence: number
  toSequence: number
  fromTime: Date | null
  toTime: Date | null
}

/** The WHERE clause of `filters` within `bounds`, its parameters appended to `params`. */
function eventsWhere(filters: readonly ReplayFilter[], bounds: ReplayBounds, params: unknown[]): string {
  const p = (value: unknown) => {
    params.push(value)
    return `$${params.length}`
  }
  const any = filters.map(
    (f) => `(type = ANY(${p(f.types)}::text[])${f.subject ? ` AND subject ~ ${p(f.subject)}` : ''})`,
  )
  const clauses = [
    `sequence >= ${p(bounds.fromSequence)}`,
    `sequence <= ${p(bounds.toSequence)}`,
    `(${any.join(' OR ') || 'false'})`,
  ]
  if (bounds.fromTime) clauses.push(`time >= ${p(bounds.fromTime)}`)
  if (bounds.toTime) clauses.push(`time <= ${p(bounds.toTime)}`)
  return clauses.join(' AND ')
}

/** A replay a runner holds: its row, with what it needs to go on. */
export interface ReplayClaim extends ReplayView {
  cursor: number
}

/** Progress a runner records. */
export interface ReplayProgress {
  cursor: number
  processed: number
  skipped: number
  failed: number
}

const COLUMNS = `id, function_name, version, status, force, from_sequence, to_sequence, from_time, to_time,
  total, processed, skipped, failed, cursor, error, created_at, finished_at`

function toClaim(row: Row): ReplayClaim {
  const date = (v: unknown) => (v ? (v as Date).toISOString() : null)
  return {
    id: row.id as string,
    function: row.function_name as string,
    version: row.version as number,
    status: row.status as ReplayStatus,
    force: row.force as boolean,
    fromSequence: Number(row.from_sequence),
    toSequence: Number(row.to_sequence),
    fromTime: date(row.from_time),
    toTime: date(row.to_time),
    total: row.total as number,
    processed: row.processed as number,
    skipped: row.skipped as number,
    failed: row.failed as number,
    error: (row.error as string | null) ?? null,
    createdAt: (row.created_at as Date).toISOString(),
    finishedAt: date(row.finished_at),
    cursor: Number(row.cursor),
  }
}

/** `function_replays` and the outbox reads of replays. */
export class ReplayStore {
  private readonly db: Database

  constructor(db: Database) {
    this.db = db
  }

  /** The highest sequence the relay has assigned (0 when none). */
  async lastSequence(): Promise<number> {
    const rows = await this.db.query<{ s: number | null }>('SELECT max(sequence) AS s FROM outbox')
    return Number(rows[0]?.s ?? 0)
  }

  /** How many retained events `filters` match within `bounds`. */
  async count(filters: readonly ReplayFilter[], bounds: ReplayBounds): Promise<number> {
    if (filters.length === 0) return 0
    const params: unknown[] = []
    const rows = await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM outbox WHERE ${eventsWhere(filters, bounds, params)}`,
      params,
    )
    return rows[0]?.n ?? 0
  }

  /** Up to `limit` retained events `filters` match within `bounds` after sequence `after`, in order. */
  async events(
    filters: readonly ReplayFilter[],
    bounds: ReplayBounds,
    after: number,
    limit: number,
  ): Promise<StratusEvent[]> {
    const params: unknown[] = []
    const where = eventsWhere(
      filters,
      { ...bounds, fromSequence: Math.max(bounds.fromSequence, after + 1) },
      params,
    )
    params.push(limit)
    const rows = await this.db.query<OutboxRow>(
      `SELECT ${EVENT_COLUMNS} FROM outbox WHERE ${where} ORDER BY sequence LIMIT $${params.length}`,
      params,
    )
    return rows.map(rowToEvent)
  }

  /** Stores a new running replay. */
  async create(replay: {
    id: string
    function: string
    version: number
    bounds: ReplayBounds
    force: boolean
    total: number
  }): Promise<void> {
    const { bounds } = replay
    await this.db.query(
      `INSERT INTO function_replays
         (id, function_name, version, from_sequence, to_sequence, from_time, to_time, force, status, total, cursor)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'running', $9, $10)`,
      [
        replay.id,
        replay.function,
        replay.version,
        bounds.fromSequence,
        bounds.toSequence,
        bounds.fromTime,
        bounds.toTime,
        replay.force,
        replay.total,
        bounds.fromSequence - 1,
      ],
    )
  }

  /** One replay of `name`, or undefined. */
  async get(name: string, id: string): Promise<ReplayClaim | undefined> {
    const rows = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM function_replays WHERE function_name = $1 AND id = $2`,
      [name, id],
    )
    return rows[0] ? toClaim(rows[0]) : undefined
  }

  /** Cancels a running replay of `name` and returns it as it now is; undefined when there is none. */
  async cancel(name: string, id: string): Promise<ReplayClaim | undefined> {
    await this.db.query(
      `UPDATE function_replays SET status = 'cancelled', finished_at = now(), updated_at = now()
       WHERE function_name = $1 AND id = $2 AND status = 'running'`,
      [name, id],
    )
    return this.get(name, id)
  }

  /**
   * Takes the oldest running replay nobody holds (never claimed, released, or whose holder stopped
   * renewing) for `holder`, until `leaseMs` from now.
   */
  async claim(holder: string, leaseMs: number): Promise<ReplayClaim | undefined> {
    const rows = await this.db.query<Row>(
      `UPDATE function_replays SET claimed_by = $1, claimed_until = now() + make_interval(secs => $2::float8 / 1000)
       WHERE id = (
         SELECT id FROM function_replays
         WHERE status = 'running' AND (claimed_until IS NULL OR claimed_until < now())
         ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING ${COLUMNS}`,
      [holder, leaseMs],
    )
    return rows[0] ? toClaim(rows[0]) : undefined
  }

  /**
   * Records progress and extends the claim; false when the replay is no longer `holder`'s to run
   * (cancelled, deleted with its function, or taken over after the claim lapsed).
   */
  async checkpoint(id: string, holder: string, progress: ReplayProgress, leaseMs: number): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE function_replays SET cursor = $3, processed = $4, skipped = $5, failed = $6, updated_at = now(),
         claimed_until = now() + make_interval(secs => $7::float8 / 1000)
       WHERE id = $1 AND claimed_by = $2 AND status = 'running' RETURNING 1`,
      [id, holder, progress.cursor, progress.processed, progress.skipped, progress.failed, leaseMs],
    )
    return rows.length > 0
  }

  /** Ends a replay `holder` runs: `done` or `failed` (with why). */
  async finish(
    id: string,
    holder: string,
    status: 'done' | 'failed',
    progress: ReplayProgress,
    error?: string,
  ): Promise<void> {
    await this.db.query(
      `UPDATE function_replays SET status = $3, cursor = $4, processed = $5, skipped = $6, failed = $7,
         error = $8, finished_at = now(), updated_at = now(), claimed_by = NULL, claimed_until = NULL
       WHERE id = $1 AND claimed_by = $2 AND status = 'running'`,
      [
        id,
        holder,
        status,
        progress.cursor,
        progress.processed,
        progress.skipped,
        progress.failed,
        error ?? null,
      ],
    )
  }

  /** Lets another runner take over at once (this one is stopping). */
  async release(id: string, holder: string, progress: ReplayProgress): Promise<void> {
    await this.db.query(
      `UPDATE function_replays SET cursor = $3, processed = $4, skipped = $5, failed = $6, updated_at = now(),
         claimed_by = NULL, claimed_until = NULL
       WHERE id = $1 AND claimed_by = $2 AND status = 'running'`,
      [id, holder, progress.cursor, progress.processed, progress.skipped, progress.failed],
    )
  }

  /** Deletes finished replays older than `hours`; returns how many. */
  async prune(hours: number): Promise<number> {
    const rows = await this.db.query<{ n: number }>(
      `WITH gone AS (
         DELETE FROM function_replays WHERE status <> 'running' AND finished_at < now() - make_interval(hours => $1)
         RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [hours],
    )
    return rows[0]?.n ?? 0
  }
}
