import { spawnSync } from 'node:child_process'
import path from 'node:path'
import pg from 'pg'
import { ensurePgliteTemplate } from './databases.ts'
import { TEST_DATABASE_URL, TEST_REDIS_URL } from './lanes.ts'

/**
 * The console suites drive the built console (console/dist), which the gateway serves: build it once
 * here, before any suite starts, rather than racing to build it from two suites.
 */
function buildConsoleIfStale(): void {
  const script = path.resolve(import.meta.dirname, '../../bin/build-console.mjs')
  // vitest sets NODE_ENV=test, which would give the console React's development build.
  const result = spawnSync(process.execPath, [script, '--if-stale'], {
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production' },
  })
  if (result.status !== 0)
    throw new Error(`building the console failed (node ${script} exited ${result.status})`)
}

/**
 * Runs once before all suites: builds the console when stale, builds the migrated PGlite template, and fails fast (instead of
 * skipping) when a configured real lane is unreachable.
 */
export default async function setup(): Promise<void> {
  buildConsoleIfStale()
  await ensurePgliteTemplate()
  if (TEST_DATABASE_URL) {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5000 })
    await client.connect().catch((error) => {
      throw new Error(`TEST_DATABASE_URL is set but PostgreSQL is unreachable: ${error.message}`)
    })
    await client.end()
  }
  if (TEST_REDIS_URL) {
    const { Redis } = await import('ioredis')
    const redis = new Redis(TEST_REDIS_URL, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      connectTimeout: 5000,
    })
    try {
      await redis.connect()
      await redis.ping()
    } catch (error) {
      throw new Error(`TEST_REDIS_URL is set but Redis is unreachable: ${(error as Error).message}`)
    } finally {
      redis.disconnect()
    }
  }
}
