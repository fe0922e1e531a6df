import type { StratusEvent } from '../services/core/events.ts'
import type { Database, Row } from '../services/db/database.ts'
import type {
  Execution,
  ExecutionOrigin,
  ExecutionStatus,
  Trigger,
  VersionSummary,
} from '../services/functions/model.ts'
import { EVENT_COLUMNS, type OutboxRow, rowToEvent } from '../services/outbox/outbox.ts'
import { EXECUTION_COLUMNS, toExecution } from './store.ts'

/** The last execution of a function's schedule triggers. */
export interface LastRun {
  at: string
  executionId: string
  status: ExecutionStatus
}

function toOrigin(row: Row): ExecutionOrigin | null {
  if (!row.origin_kind) return null
  return {
    kind: row.origin_kind as ExecutionOrigin['kind'],
    ...(row.source_execution_id ? { sourceExecutionId: row.source_execution_id as string } : {}),
  }
}

/**
 * What the admin console reads about functions beyond FunctionStore's lists: pages of versions,
 * one execution with why it ran, the event it ran for (from the outbox, or a dead letter's copy), the
 * schedules' last runs; and the origins of operators' runs (reruns, schedules run by hand).
 */
export class ConsoleStore {
  private readonly db: Database

  constructor(db: Database) {
    this.db = db
  }

  /**
   * `name`'s versions newest first, below version `before`, and its live version; undefined when there
   * is no such function.
   */
  async versionPage(
    name: string,
    limit: number,
    before?: number,
  ): Promise<{ versions: VersionSummary[]; nextCursor: string | null; liveVersion: number } | undefined> {
    const fn = await this.db.query<{ live_version: number }>(
      'SELECT live_version FROM functions WHERE name = $1',
      [name],
    )
    if (!fn[0]) return undefined
    const rows = await this.db.query<{
      version: number
      created_at: Date
      deployed_by: string | null
      code_size: number
      triggers: Trigger[]
    }>(
      `SELECT version, created_at, deployed_by, octet_length(code) AS code_size, triggers
       FROM function_versions WHERE function_name = $1 AND ($2::int IS NULL OR version < $2)
       ORDER BY version DESC LIMIT $3`,
      [name, before ?? null, limit + 1],
    )
    const live = fn[0].live_version
    const versions = rows.slice(0, limit).map((r) => ({
      version: r.version,
      createdAt: r.created_at.toISOString(),
      ...(r.deployed_by ? { deployedBy: r.deployed_by } : {}),
      codeSize: Number(r.code_size),
      triggers: r.triggers ?? [],
      live: r.version === live,
    }))
    const last = versions[versions.length - 1]
    const nextCursor = rows.length > limit && last ? String(last.version) : null
    return { versions, nextCursor, liveVersion: live }
  }

  /** One execution and why it ran, or undefined. */
  async execution(id: string): Promise<(Execution & { origin: ExecutionOrigin | null }) | undefined> {
    const rows = await this.db.query<Row>(
      `SELECT ${EXECUTION_COLUMNS.split(', ')
        .map((c) => `e.${c}`)
        .join(', ')}, o.kind AS origin_kind, o.source_execution_id
       FROM function_executions e LEFT JOIN function_execution_origins o ON o.execution_id = e.id
       WHERE e.id = $1`,
      [id],
    )
    return rows[0] ? { ...toExecution(rows[0]), origin: toOrigin(rows[0]) } : undefined
  }

  /** Why each of `ids` ran, for those an operator started. */
  async origins(ids: readonly string[]): Promise<Map<string, ExecutionOrigin>> {
    if (ids.length === 0) return new Map()
    const rows = await this.db.query<Row>(
      `SELECT execution_id, kind AS origin_kind, source_execution_id
       FROM function_execution_origins WHERE execution_id = ANY($1::text[])`,
      [ids],
    )
    return new Map(rows.map((r) => [r.execution_id as string, toOrigin(r)!]))
  }

  /**
   * Records why execution `executionId` (not run yet) runs, under key `key`: false, and nothing
   * recorded, when `name` already has a run with that key.
   */
  async addManualOrigin(
    name: string,
    executionId: string,
    key: string,
    kind: ExecutionOrigin['kind'],
    sourceExecutionId?: string,
  ): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO function_execution_origins (execution_id, function_name, kind, source_execution_id, event_key)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (function_name, event_key) DO NOTHING RETURNING 1`,
      [executionId, name, kind, sourceExecutionId ?? null, key],
    )
    return rows.length > 0
  }

  /**
   * Records that execution `executionId` (not run yet) reruns `sourceExecutionId`, whose event is
   * `rootEventId`, and returns its key: `<root>.rerun.<n>`, n one more than the highest so far. The key
   * is unique per function, so two reruns asked for at once get different numbers.
   */
  async addRerunOrigin(
    name: string,
    executionId: string,
    sourceExecutionId: string,
    rootEventId: string,
  ): Promise<string> {
    const prefix = `${rootEventId}.rerun.`
    for (let tries = 0; ; tries++) {
      const rows = await this.db.query<{ event_key: string }>(
        `INSERT INTO function_execution_origins (execution_id, function_name, kind, source_execution_id, event_key)
         SELECT $1, $2, 'rerun', $3, $4 || (coalesce(max(substr(event_key, length($4) + 1)::int), 0) + 1)
         FROM function_execution_origins
         WHERE function_name = $2 AND starts_with(event_key, $4) AND substr(event_key, length($4) + 1) ~ '^[0-9]{1,9}$'
         ON CONFLICT (function_name, event_key) DO NOTHING
         RETURNING event_key`,
        [executionId, name, sourceExecutionId, prefix],
      )
      if (rows[0]) return rows[0].event_key
      if (tries >= 10) throw new Error(`could not number a rerun of ${rootEventId}`)
    }
  }

  /** Forgets an origin whose run could not be queued. */
  async removeOrigin(executionId: string): Promise<void> {
    await this.db.query('DELETE FROM function_execution_origins WHERE execution_id = $1', [executionId])
  }

  /** A published event still in the outbox, or undefined (retention deleted it, or it never was one). */
  async outboxEvent(eventId: string): Promise<StratusEvent | undefined> {
    const rows = await this.db.query<OutboxRow>(
      `SELECT ${EVENT_COLUMNS} FROM outbox WHERE event_id = $1 AND sequence IS NOT NULL`,
      [eventId],
    )
    return rows[0] ? rowToEvent(rows[0]) : undefined
  }

  /** The copy of `eventId` a dead letter of `name` keeps (the newest), or undefined. */
  async deadLetterEvent(name: string, eventId: string): Promise<StratusEvent | undefined> {
    const rows = await this.db.query<{ event: StratusEvent }>(
      `SELECT event FROM function_dead_letters WHERE function_name = $1 AND event_id = $2
       ORDER BY id DESC LIMIT 1`,
      [name, eventId],
    )
    return rows[0]?.event
  }

  /** Each function's newest execution started by a schedule (a tick, or a run by hand). */
  async lastScheduleRuns(names: readonly string[]): Promise<Map<string, LastRun>> {
    if (names.length === 0) return new Map()
    // One index walk per function, newest first (executions are listed by (function_name, id)).
    const rows = await this.db.query<{ function_name: string; id: string; started_at: Date; status: string }>(
      `SELECT n.name AS function_name, last.id, last.started_at, last.status
       FROM unnest($1::text[]) AS n(name)
       CROSS JOIN LATERAL (
         SELECT id, started_at, status FROM function_executions e
         WHERE e.function_name = n.name AND e.trigger = 'schedule'
         ORDER BY id DESC LIMIT 1
       ) AS last`,
      [names],
    )
    return new Map(
      rows.map((r) => [
        r.function_name,
        { at: r.started_at.toISOString(), executionId: r.id, status: r.status as ExecutionStatus },
      ]),
    )
  }

  /** Deletes origins older than `hours` (their executions are gone too); returns how many. */
  async pruneOrigins(hours: number): Promise<number> {
    const rows = await this.db.query<{ n: number }>(
      `WITH gone AS (
         DELETE FROM function_execution_origins WHERE created_at < now() - make_interval(hours => $1)
         RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [hours],
    )
    return rows[0]?.n ?? 0
  }
}
