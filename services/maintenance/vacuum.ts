import type { Database } from '../db/database.ts'

/**
 * Vacuuming and analysing when nothing else does: PGlite never runs autovacuum, and a PostgreSQL server
 * may have it turned off. Without it the outbox, executions and every table with updates or deletes keep
 * their dead row versions for good (space never reused, index scans wading through them) and the planner
 * has no statistics at all. With autovacuum on, this does nothing.
 *
 * Which tables, by autovacuum's own default rules (PostgreSQL's `autovacuum_*_threshold` and
 * `*_scale_factor`): vacuum when dead versions exceed 50 + 20 % of the rows, or rows inserted since the
 * last vacuum exceed 1,000 + 20 % (insert-only tables need it too: visibility map and freezing); analyse
 * when rows changed since the last analysis exceed 50 + 10 %. We do not run the autovacuum launcher's
 * whole logic (cost delays, wraparound emergencies): a housekeeping round is short and runs every
 * HOUSEKEEPING_INTERVAL_SECONDS, which bounds how far behind a table can fall.
 *
 * `SKIP_LOCKED`: a table another worker node is vacuuming right now is left to it. Returns the number
 * of tables vacuumed or analysed.
 */
export async function vacuumUnattended(db: Database): Promise<number> {
  if (db.capabilities.autovacuum === 'server') {
    const [setting] = await db.query<{ on: boolean }>(
      `SELECT current_setting('autovacuum') = 'on' AND current_setting('track_counts') = 'on' AS on`,
    )
    if (setting?.on) return 0
  }
  const due = await db.query<{ name: string; vacuum: boolean; analyze: boolean }>(
    `SELECT quote_ident(s.relname) AS name,
       s.n_dead_tup > 50 + 0.2 * greatest(c.reltuples, 0)
         OR s.n_ins_since_vacuum > 1000 + 0.2 * greatest(c.reltuples, 0) AS vacuum,
       s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0) AS analyze
     FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
     WHERE s.schemaname = current_schema()
     ORDER BY s.relname`,
  )
  let done = 0
  let failure: unknown
  for (const table of due) {
    if (!table.vacuum && !table.analyze) continue
    // One statement per table: a short lock each, and a table that fails does not stop the others
    // (the first failure is thrown at the end, for the housekeeping log).
    try {
      if (table.vacuum)
        await db.query(`VACUUM (SKIP_LOCKED${table.analyze ? ', ANALYZE' : ''}) ${table.name}`)
      else await db.query(`ANALYZE (SKIP_LOCKED) ${table.name}`)
      done++
    } catch (error) {
      failure ??= error
    }
  }
  if (failure) throw failure
  return done
}
