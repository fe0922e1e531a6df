import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../services/core/logger.ts'
import type { Database } from '../../services/db/database.ts'
import { Collections } from '../../services/documents/collections.ts'
import { RulesEvaluator } from '../../services/rules/rules.ts'
import { createTestDatabase, DB_LANES, type TestDatabase } from '../support/databases.ts'

// Collection configurations: compiled once per version, shared across nodes through the database.
describe.each(DB_LANES)('collection configurations (%s)', (lane) => {
  let database: TestDatabase
  let db: Database
  const logger = createLogger('silent')
  const make = (cacheMs: number) => new Collections({ db, rules: new RulesEvaluator(), logger, cacheMs })
  const schema = { type: 'object', required: ['title'] }

  beforeAll(async () => {
    database = await createTestDatabase(lane)
    db = await database.open()
  })
  afterAll(async () => {
    await db?.close()
    await database?.cleanup()
  })

  it('compiles a version once, even with no cache, and recompiles on change', async () => {
    const node = make(0)
    await node.put('c1', { rules: { read: true }, schema })
    const first = await node.get('c1')
    expect(first!.validate!({})).toBe(false)
    expect(await node.get('c1')).toBe(first)
    await node.put('c1', { rules: { read: true }, schema: null })
    const second = await node.get('c1')
    expect(second).not.toBe(first)
    expect(second!.validate).toBeNull()
    expect(second!.config.version).toBe(2)
  })

  it('another node sees a change within its cache time (at once with 0)', async () => {
    const a = make(0)
    const b = make(0)
    const cached = make(60_000)
    await a.put('c2', { rules: { read: false } })
    expect((await b.get('c2'))!.rules.read.allows({ auth: null })).toBe(false)
    expect((await cached.get('c2'))!.rules.read.allows({ auth: null })).toBe(false)
    await a.put('c2', { rules: { read: true } })
    expect((await b.get('c2'))!.rules.read.allows({ auth: null })).toBe(true)
    // Within its cache time, a node keeps what it read; forgetting (its own changes do) reloads.
    expect((await cached.get('c2'))!.rules.read.allows({ auth: null })).toBe(false)
    cached.forget('c2')
    expect((await cached.get('c2'))!.rules.read.allows({ auth: null })).toBe(true)
  })

  it('tells a re-created collection from the old one at the same version', async () => {
    const node = make(0)
    await node.put('c3', { rules: { read: false } })
    const old = await node.get('c3')
    await node.remove('c3')
    expect(await node.get('c3')).toBeNull()
    await node.put('c3', { rules: { read: true } })
    const renewed = await node.get('c3')
    expect(renewed!.config.version).toBe(1)
    expect(renewed).not.toBe(old)
    expect(renewed!.rules.read.allows({ auth: null })).toBe(true)
  })
})
