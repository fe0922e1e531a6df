import { deleteInBatches } from '../db/batched-delete.ts'
import type { Sql } from '../db/database.ts'
import { PUBLISHED_THROUGH } from './outbox.ts'
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
 * Deletes published events older than the retention, oldest first, then the publication records
 * below the oldest event left. Sequences grow with publish time, so walking the sequence index from
 * the start finds them without scanning the table; an unpublished row (above the published watermark)
 * is never deleted. Age is counted from the commit (`created_at`): the relay publishes within
 * milliseconds of it, and the retention is counted in hours. Returns how many events went.
 */
export async function pruneOutbox(db: Sql, options: OutboxRetentionOptions): Promise<number> {
  const settled = options.keepUnsettled ? await readSettledWatermark(db) : Number.MAX_SAFE_INTEGER
  const events = await deleteInBatches(
    db,
    `DELETE FROM outbox o
     USING (SELECT id FROM outbox WHERE sequence IS NOT NULL ORDER BY sequence LIMIT ${BATCH}) oldest
     WHERE o.id = oldest.id
       AND o.sequence <= ${PUBLISHED_THROUGH}
       AND o.created_at < now() - make_interval(hours => $1)
       AND o.sequence <= $2`,
    [options.retentionHours, settled],
    BATCH,
  )
  // The newest record is the watermark itself and always stays; older ones only date events that exist.
  await deleteInBatches(
    db,
    `DELETE FROM outbox_publications p
     USING (SELECT through_sequence FROM outbox_publications ORDER BY through_sequence LIMIT ${BATCH}) oldest
     WHERE p.through_sequence = oldest.through_sequence
       AND p.through_sequence < ${PUBLISHED_THROUGH}
       AND p.through_sequence < coalesce(
         (SELECT min(sequence) FROM outbox WHERE sequence IS NOT NULL),
         ${PUBLISHED_THROUGH}
       )`,
    [],
    BATCH,
  )
  return events
}

/** The oldest sequence still in the outbox (0 when it is empty): a `since` below it cannot be replayed. */
export async function oldestSequence(db: Sql): Promise<number> {
  const [row] = await db.query<{ sequence: number | null }>(
    'SELECT min(sequence)::bigint AS sequence FROM outbox WHERE sequence IS NOT NULL',
  )
  return Number(row?.sequence ?? 0)
}
