import type { Database, Row } from '../services/db/database.ts'
import type { DeadLetter } from '../services/functions/model.ts'
import { DEAD_LETTER_COLUMNS, toDeadLetter } from './store.ts'

/** Which dead letters a bulk retry or purge takes: some ids, one function's, or all (none given). */
export interface DeadLetterSelection {
  ids?: readonly string[]
  function?: string
  /** Left out (a bulk retry's letters whose function has gone meanwhile). */
  exclude?: readonly string[]
}

function where(selection: DeadLetterSelection, params: unknown[]): string {
  const clauses = ['redriven_at IS NULL']
  if (selection.exclude?.length) {
    params.push(selection.exclude)
    clauses.push(`id <> ALL($${params.length}::text[])`)
  }
  if (selection.ids) {
    params.push(selection.ids)
    clauses.push(`id = ANY($${params.length}::text[])`)
  }
  if (selection.function) {
    params.push(selection.function)
    clauses.push(`function_name = $${params.length}`)
  }
  return clauses.join(' AND ')
}

/** Dead letters in bulk: taken for a retry many at a time, purged, or deleted one by one. */
export class DeadLetterStore {
  private readonly db: Database

  constructor(db: Database) {
    this.db = db
  }

  /**
   * Marks up to `limit` dead letters of `selection` retried, oldest first, and returns them (rows
   * another call is taking at the same moment are skipped, so two bulk retries never take one twice).
   */
  async take(selection: DeadLetterSelection, limit: number): Promise<DeadLetter[]> {
    const params: unknown[] = []
    const condition = where(selection, params)
    params.push(limit)
    const rows = await this.db.query<Row>(
      `UPDATE function_dead_letters SET redriven_at = now()
       WHERE id IN (
         SELECT id FROM function_dead_letters WHERE ${condition}
         ORDER BY id LIMIT $${params.length} FOR UPDATE SKIP LOCKED)
       RETURNING ${DEAD_LETTER_COLUMNS}`,
      params,
    )
    return rows.map(toDeadLetter)
  }

  /** Puts back dead letters whose retry could not be queued. */
  async restore(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return
    await this.db.query('UPDATE function_dead_letters SET redriven_at = NULL WHERE id = ANY($1::text[])', [
      ids,
    ])
  }

  /** How many dead letters of `selection` wait for a retry. */
  async count(selection: DeadLetterSelection): Promise<number> {
    const params: unknown[] = []
    const rows = await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM function_dead_letters WHERE ${where(selection, params)}`,
      params,
    )
    return rows[0]?.n ?? 0
  }

  /** Deletes the dead letters of `selection` waiting for a retry; returns how many. */
  async purge(selection: DeadLetterSelection): Promise<number> {
    const params: unknown[] = []
    const rows = await this.db.query<{ n: number }>(
      `WITH gone AS (DELETE FROM function_dead_letters WHERE ${where(selection, params)} RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      params,
    )
    return rows[0]?.n ?? 0
  }
}
