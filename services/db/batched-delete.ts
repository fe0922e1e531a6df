import type { Sql } from './database.ts'

/**
 * Runs `deleteSql` (a DELETE that removes at most `batch` rows per run, without RETURNING) again and
 * again until a run removes fewer than `batch`: short statements, so no cleanup holds locks for long.
 * Returns how many rows went in all.
 */
export async function deleteInBatches(
  db: Sql,
  deleteSql: string,
  params: readonly unknown[],
  batch: number,
): Promise<number> {
  let total = 0
  for (;;) {
    const [row] = await db.query<{ n: number }>(
      `WITH gone AS (${deleteSql} RETURNING 1) SELECT count(*)::int AS n FROM gone`,
      params,
    )
    const deleted = row?.n ?? 0
    total += deleted
    if (deleted < batch) return total
  }
}
