import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import { loadConfig } from '../../services/core/config.ts'
import { createLogger } from '../../services/core/logger.ts'
import { createPlatform, type Platform } from '../../services/platform.ts'
import { createTestDatabase, type DbLane, type TestDatabase } from './databases.ts'
import { type Lane, TEST_REDIS_URL, uniqueName } from './lanes.ts'

export { LANES, type Lane } from './lanes.ts'

/** A running platform listening on a random port, with what a test needs to call it. */
export interface TestPlatform {
  lane: Lane
  platform: Platform
  /** Base URL, e.g. http://127.0.0.1:40123 */
  url: string
  serviceKey: string
  /** The environment the platform was configured from (to start more processes on the same services). */
  env: Record<string, string>
  close(): Promise<void>
}

/**
 * Starts a fresh platform on `lane` with its own database (a copy of the migrated template, or a new
 * Postgres database), its own Redis key prefix and data directory. `env` overrides configuration.
 */
export async function startTestPlatform(lane: Lane, env: Record<string, string> = {}): Promise<TestPlatform> {
  const dbLane: DbLane = lane === 'real' ? 'postgres' : 'embedded'
  const database: TestDatabase = await createTestDatabase(dbLane)
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'stratus-test-data-'))
  const fullEnv: Record<string, string> = {
    STRATUS_DATA_DIR: dataDir,
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    RELAY_POLL_MS: '50',
    ...(lane === 'real'
      ? { DATABASE_URL: database.url!, REDIS_URL: TEST_REDIS_URL!, REDIS_PREFIX: uniqueName('t') }
      : {}),
    ...env,
  }
  if (lane === 'embedded') {
    // The embedded database lives in <dataDir>/db: put the migrated copy there.
    rmSync(dataDir, { recursive: true, force: true })
    const { cpSync } = await import('node:fs')
    cpSync(database.dataDir!, path.join(dataDir, 'db'), { recursive: true })
  }
  const config = loadConfig(fullEnv)
  const platform = await createPlatform(config, 'all', createLogger(config.log.level))
  const app = platform.app!
  const address = await app.listen({ host: '127.0.0.1', port: 0 })
  return {
    lane,
    platform,
    url: address,
    serviceKey: platform.keys.serviceToken(),
    env: fullEnv,
    close: async () => {
      await platform.close()
      rmSync(dataDir, { recursive: true, force: true })
      await database.cleanup()
    },
  }
}

/**
 * The suite's platform: started before its first test (`beforeAll`), closed after its last. The
 * returned object is filled in when the platform starts, so tests and later hooks use it as it is.
 */
export function usePlatform(lane: Lane, env: Record<string, string> = {}): TestPlatform {
  const t = {} as TestPlatform
  beforeAll(async () => {
    Object.assign(t, await startTestPlatform(lane, env))
  })
  afterAll(async () => {
    await t.close?.()
  })
  return t
}
