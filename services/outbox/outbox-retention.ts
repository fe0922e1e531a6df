import { deleteInBatches } from '../db/batched-delete.ts'
import type { Sql } from '../db/database.ts'
import { readSettledWatermark } from './relay.ts'

/** Rows deleted per statement: short transactions, so commits and the relay never wait long. */
const BATCH = 5000

export interface OutboxRetentionOptions {
  /** Published events older than this are deleted. */
  retentionHours: number
  /**
   * With a bus that holds deliveries in memory, the relay republishes everything above the persisted
   * settled watermark after a crash: those rows must stay whatever their age.
   */
  keepUnsettled: boolean
}

/**
 * Deletes published events older than the retention, oldest first. Sequences grow with publish
 * time, so walking the sequence index from the start finds them without scanning the table; an
 * unpublished row (no `published_at`) is never deleted. Returns how many rows went.
 */
export async function pruneOutbox(db: Sql, options: OutboxRetentionOptions): Promise<number> {
  const settled = options.keepUnsettled ? await readSettledWatermark(db) : Number.MAX_SAFE_INTEGER
  return deleteInBatches(
    db,
    `DELETE FROM outbox o
     USING (SELECT id FROM outbox WHERE sequence IS NOT NULL ORDER BY sequence LIMIT ${BATCH}) oldest
     WHERE o.id = oldest.id
       AND o.published_at IS NOT NULL
       AND o.published_at < now() - make_interval(hours => $1)
       AND o.sequence <= $2`,
    [options.retentionHours, settled],
    BATCH,
  )
}

/** The oldest sequence still in the outbox (0 when it is empty): a `since` below it cannot be replayed. */
export async function oldestSequence(db: Sql): Promise<number> {
  const [row] = await db.query<{ sequence: number | null }>(
    'SELECT min(sequence)::bigint AS sequence FROM outbox WHERE sequence IS NOT NULL',
  )
  return Number(row?.sequence ?? 0)
}
