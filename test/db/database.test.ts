import { PrismaPg } from '@prisma/adapter-pg'
import { PrismaClient } from '@prisma/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Database, isUniqueViolation } from '../../services/db/database.ts'
import { migrate, readMigrations } from '../../services/db/migrate.ts'
import { addToOutbox, lastSequence, readOutbox } from '../../services/outbox/outbox.ts'
import { createTestDatabase, DB_LANES, type TestDatabase } from '../support/databases.ts'
import { anyEvent } from '../support/events.ts'

describe.each(DB_LANES)('database contract (%s)', (lane) => {
  let test: TestDatabase
  let db: Database

  beforeAll(async () => {
    test = await createTestDatabase(lane, { migrated: false })
    db = await test.open()
  })
  afterAll(async () => {
    await db?.close()
    await test?.cleanup()
  })

  it('applies every migration once, in Prisma bookkeeping format, and is idempotent', async () => {
    const applied = await migrate(db)
    expect(applied).toEqual(readMigrations().map((m) => m.name))
    expect(await migrate(db)).toEqual([])
    const rows = await db.query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
      'SELECT migration_name, checksum, finished_at FROM _prisma_migrations ORDER BY migration_name',
    )
    expect(rows.map((r) => [r.migration_name, r.checksum])).toEqual(
      readMigrations().map((m) => [m.name, m.checksum]),
    )
    expect(rows.every((r) => r.finished_at instanceof Date)).toBe(true)
  })

  it('refuses a migration edited after it was applied', async () => {
    const [first, ...rest] = readMigrations()
    await expect(migrate(db, [{ ...first!, checksum: 'x'.repeat(64) }, ...rest])).rejects.toThrow(
      /changed after it was applied/,
    )
  })

  it('serialises concurrent migrators on the advisory lock', async () => {
    const results = await Promise.all([migrate(db), migrate(db), migrate(db)])
    expect(results).toEqual([[], [], []])
  })

  it('returns int8 as numbers, jsonb parsed and timestamptz as Date on both drivers', async () => {
    const [row] = await db.query<{ n: number; j: unknown; t: Date }>(
      `SELECT 9007199254740991::int8 AS n, '{"a":[1,"x"]}'::jsonb AS j, now() AS t`,
    )
    expect(row).toEqual({ n: 9007199254740991, j: { a: [1, 'x'] }, t: expect.any(Date) })
  })

  it('runs a prepared statement again and again, inside and outside transactions, with fresh parameters', async () => {
    const text = 'SELECT $1::int8 * 2 AS n, $2::text AS s'
    const seen: unknown[] = []
    for (let i = 0; i < 8; i++) seen.push(...(await db.query(text, [i, `v${i}`], { prepare: true })))
    await db.tx(async (tx) => {
      seen.push(...(await tx.query(text, [100, 'in tx'], { prepare: true })))
    })
    expect(seen).toEqual([
      ...Array.from({ length: 8 }, (_, i) => ({ n: i * 2, s: `v${i}` })),
      { n: 200, s: 'in tx' },
    ])
  })

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    await db.tx(async (tx) => {
      await tx.query(`INSERT INTO project_settings (key, value) VALUES ('a', '1')`)
    })
    await expect(
      db.tx(async (tx) => {
        await tx.query(`INSERT INTO project_settings (key, value) VALUES ('b', '2')`)
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    const keys = await db.query<{ key: string }>('SELECT key FROM project_settings ORDER BY key')
    expect(keys.map((k) => k.key)).toEqual(['a'])
  })

  it('exposes unique violations by SQLSTATE', async () => {
    const error = await db
      .query(`INSERT INTO project_settings (key, value) VALUES ('a', '1')`)
      .catch((e) => e)
    expect(isUniqueViolation(error)).toBe(true)
    expect(isUniqueViolation(new Error('other'))).toBe(false)
  })

  // Prisma is the schema source and tooling, not a run-time client: the client generated from
  // schema.prisma must still read and write what our SQL migrations created.
  it.runIf(lane === 'postgres')('agrees with the Prisma client generated from schema.prisma', async () => {
    const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: test.url! }) })
    try {
      await prisma.projectSetting.upsert({
        where: { key: 'p' },
        create: { key: 'p', value: { on: true } },
        update: {},
      })
      const setting = await prisma.projectSetting.findUnique({ where: { key: 'p' } })
      expect(setting?.value).toEqual({ on: true })
    } finally {
      await prisma.$disconnect()
    }
    const raw = await db.query<{ value: unknown }>(`SELECT value FROM project_settings WHERE key = 'p'`)
    expect(raw[0]?.value).toEqual({ on: true })
  })

  it('writes outbox rows only when the transaction commits, and signals in-process listeners after commit', async () => {
    let signals = 0
    const stop = db.onOutboxCommit(() => signals++)
    const committed = anyEvent({ type: 'test.happened', subject: 'things/1', data: { n: 1 } })
    const rolledBack = anyEvent({ type: 'test.happened', subject: 'things/2', data: { n: 2 } })
    await db.tx((tx) => addToOutbox(tx, committed))
    await db
      .tx(async (tx) => {
        await addToOutbox(tx, rolledBack)
        throw new Error('abort')
      })
      .catch(() => {})
    const rows = await db.query<{
      event_id: string
      sequence: number | null
      data: unknown
      subject: string
    }>('SELECT event_id, sequence, data, subject FROM outbox ORDER BY id')
    expect(rows).toEqual([{ event_id: committed.id, sequence: null, data: { n: 1 }, subject: 'things/1' }])
    // One signal: the committed transaction's; the rolled-back one stays silent.
    expect(signals).toBe(1)
    stop()
    // Not sequenced yet: replay readers only see what the relay has ordered.
    expect(await readOutbox(db, 0, 10)).toEqual([])
    expect(await lastSequence(db)).toBe(0)
  })
})
