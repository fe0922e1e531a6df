import { describe, expect, it } from 'vitest'
import { PgDatabase } from '../../services/db/pg-database.ts'
import { createPgDatabase } from '../support/databases.ts'
import { TEST_DATABASE_URL } from '../support/lanes.ts'

// Found by the chaos run (docs/chaos.md): a PostgreSQL restart ended a worker with "Unhandled 'error'
// event" from a pg client checked out for a transaction, between two of its queries. PostgreSQL only:
// the embedded database has no connection to lose.
describe.skipIf(!TEST_DATABASE_URL)('a connection ended by the server mid-transaction (postgres)', () => {
  it('fails the transaction instead of crashing the process, and the pool goes on', async () => {
    const scratch = await createPgDatabase()
    const db = new PgDatabase({ url: scratch.url, poolSize: 2 })
    const killer = new PgDatabase({ url: scratch.url, poolSize: 1 })
    try {
      const transaction = db.tx(async (tx) => {
        const [row] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
        // The server ends this backend while the transaction awaits something else, as a fast
        // shutdown does (SQLSTATE 57P01 arrives as an 'error' event on the idle-in-transaction client).
        await killer.query('SELECT pg_terminate_backend($1)', [row?.pid])
        await new Promise((resolve) => setTimeout(resolve, 200))
        await tx.query('SELECT 1')
      })
      await expect(transaction).rejects.toThrow()
      const [row] = await db.query<{ one: number }>('SELECT 1 AS one')
      expect(row?.one).toBe(1)
    } finally {
      await db.close()
      await killer.close()
      await scratch.drop()
    }
  })
})
