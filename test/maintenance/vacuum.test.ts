import { afterEach, describe, expect, it } from 'vitest'
import type { Database } from '../../services/db/database.ts'
import { vacuumUnattended } from '../../services/maintenance/vacuum.ts'
import { addToOutbox } from '../../services/outbox/outbox.ts'
import { createTestDatabase, DB_LANES, type TestDatabase } from '../support/databases.ts'
import { anyEvent } from '../support/events.ts'

describe.each(DB_LANES)('vacuum when nothing else does (%s)', (lane) => {
  let test: TestDatabase
  let db: Database

  afterEach(async () => {
    await db?.close()
    await test?.cleanup()
  })

  /** The outbox's dead row versions and whether it was ever vacuumed and analysed by hand. */
  async function outboxStats() {
    const [row] = await db.query<{ dead: number; vacuumed: boolean; analyzed: boolean }>(
      `SELECT n_dead_tup::int AS dead, last_vacuum IS NOT NULL AS vacuumed, last_analyze IS NOT NULL AS analyzed
       FROM pg_stat_user_tables WHERE relname = 'outbox'`,
    )
    return row!
  }

  it('vacuums and analyses a churned table when no autovacuum runs, and leaves the server’s to it', async () => {
    test = await createTestDatabase(lane)
    db = await test.open()
    await db.tx(async (tx) => {
      for (let i = 0; i < 400; i++)
        await addToOutbox(tx, anyEvent({ type: 'test.event', subject: `things/${i}`, data: { i } }))
    })
    // The relay's numbering leaves a dead first version of each row; retention deletes some outright.
    await db.query('UPDATE outbox SET sequence = id')
    await db.query('DELETE FROM outbox WHERE id % 2 = 0')
    const [setting] = await db.query<{ on: boolean }>(`SELECT current_setting('autovacuum') = 'on' AS on`)
    const serverVacuums = db.capabilities.autovacuum === 'server' && setting!.on
    // Statistics reach the shared counters when the backend is idle (PostgreSQL: at most once a second).
    const deadBefore = await waitForDeadRows()
    expect(deadBefore).toBeGreaterThan(100)

    const done = await vacuumUnattended(db)
    const after = await outboxStats()
    if (serverVacuums) {
      // Left to autovacuum (this server has it on): nothing was done by hand.
      expect(done).toBe(0)
      expect(after.vacuumed).toBe(false)
    } else {
      expect(done).toBeGreaterThan(0)
      expect(after).toMatchObject({ dead: 0, vacuumed: true, analyzed: true })
      // A second round finds nothing due.
      expect(await vacuumUnattended(db)).toBe(0)
    }
  })

  async function waitForDeadRows(): Promise<number> {
    for (let i = 0; i < 50; i++) {
      const { dead } = await outboxStats()
      if (dead > 0) return dead
      await new Promise((r) => setTimeout(r, 100))
    }
    return 0
  }
})
