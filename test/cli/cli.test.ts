import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { readMigrations } from '../../services/db/migrate.ts'
import { PgDatabase } from '../../services/db/pg-database.ts'
import { createPgDatabase } from '../support/databases.ts'
import { TEST_DATABASE_URL, TEST_REDIS_URL, uniqueName } from '../support/lanes.ts'
import { freePort, isAddressInUse } from '../support/ports.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const BIN = path.join(ROOT, 'bin/stratus.mjs')
const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})
function dataDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stratus-cli-'))
  dirs.push(dir)
  return dir
}

function stratus(args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

/**
 * Starts `stratus start` and resolves once it serves /health. A free port can be taken by another
 * socket before the server binds it (tests run in parallel): then it tries another.
 */
async function startServer(
  env: Record<string, string>,
  args: string[] = [],
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  for (let tries = 1; ; tries++) {
    try {
      return await startServerOn(await freePort(), env, args)
    } catch (error) {
      if (tries >= 3 || !isAddressInUse(String(error))) throw error
    }
  }
}

async function startServerOn(
  port: number,
  env: Record<string, string>,
  args: string[],
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [BIN, 'start', ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.on('data', (c) => (out += c))
  child.stderr!.on('data', (c) => (out += c))
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 45_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited early: ${out}`)
    if (
      await fetch(`${url}/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { child, url, output: () => out }
    await new Promise((r) => setTimeout(r, 100))
  }
  child.kill('SIGKILL')
  throw new Error(`not ready: ${out}`)
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null) return Promise.resolve({ code: child.exitCode, signal: null })
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
}

describe('stratus command line', () => {
  it.each([
    [
      ['start'],
      { PORT: 'eighty' },
      /^stratus: Invalid configuration: PORT must be an integer between 0 and 65535 \(got "eighty"\)$/,
    ],
    [
      ['start'],
      { DATABASE_URL: 'mysql://x' },
      /^stratus: Invalid configuration: DATABASE_URL must be a URL starting with postgres:\/\/ or postgresql:\/\/ \(got "mysql:\/\/x"\)$/,
    ],
    [['migrate'], { LOG_LEVEL: 'chatty' }, /^stratus: Invalid configuration: LOG_LEVEL must be one of/],
  ])('refuses %j with %j in one line, exit 1, no stack trace', (args, env, message) => {
    const { status, stdout, stderr } = stratus(args, env)
    expect(status).toBe(1)
    expect(stdout).toBe('')
    expect(stderr.trim().split('\n')).toHaveLength(1)
    expect(stderr.trim()).toMatch(message)
  })

  it('refuses an unknown role or command with the usage', () => {
    const bad = stratus(['start', '--role', 'boss'], { STRATUS_DATA_DIR: dataDir() })
    expect(bad.status).toBe(1)
    expect(bad.stderr).toMatch(/--role must be one of all, api, worker \(got "boss"\)/)
    expect(bad.stderr).toMatch(/Usage: stratus/)
    const unknown = stratus(['launch'], {})
    expect(unknown.status).toBe(1)
    expect(unknown.stderr).toMatch(/unknown command "launch"/)
  })

  // Each spawns several processes that open a fresh embedded database: slow on a loaded machine.
  it('migrates, then prints the same service key as the first start, as JSON', async () => {
    const dir = dataDir()
    expect(stratus(['migrate'], { STRATUS_DATA_DIR: dir }).stdout).toMatch(/^Applied: /)
    expect(stratus(['migrate'], { STRATUS_DATA_DIR: dir }).stdout).toBe('The database is up to date.\n')
    const server = await startServer({ STRATUS_DATA_DIR: dir })
    const printed = /Service key[^\n]*\n(\S+)/.exec(server.output())?.[1]
    expect(printed).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/)
    server.child.kill('SIGTERM')
    expect(await exited(server.child)).toEqual({ code: 0, signal: null })
    const keys = stratus(['keys', '--json'], { STRATUS_DATA_DIR: dir })
    expect(keys.status).toBe(0)
    expect(JSON.parse(keys.stdout)).toEqual({ service: printed })
  }, 90_000)

  it('shuts down on SIGTERM: exit 0, embedded lock released, restart works at once', async () => {
    const dir = dataDir()
    const first = await startServer({ STRATUS_DATA_DIR: dir })
    expect(existsSync(path.join(dir, 'db', 'stratus.lock'))).toBe(true)
    // A second process on the same embedded database is refused clearly.
    const second = stratus(['migrate'], { STRATUS_DATA_DIR: dir })
    expect(second.status).toBe(1)
    expect(second.stderr).toMatch(/in use by another Stratus process/)
    first.child.kill('SIGTERM')
    expect(await exited(first.child)).toEqual({ code: 0, signal: null })
    expect(existsSync(path.join(dir, 'db', 'stratus.lock'))).toBe(false)
    const again = await startServer({ STRATUS_DATA_DIR: dir })
    expect(again.output()).not.toMatch(/Service key/) // the key was created by the first start only
    again.child.kill('SIGTERM')
    expect((await exited(again.child)).code).toBe(0)
  }, 90_000)

  it.runIf(TEST_DATABASE_URL && TEST_REDIS_URL)(
    'boots three nodes at once on a fresh Postgres: one migration run, one signing key',
    async () => {
      const { url, drop } = await createPgDatabase()
      const env = {
        DATABASE_URL: url,
        REDIS_URL: TEST_REDIS_URL!,
        REDIS_PREFIX: uniqueName('cli'),
        STRATUS_DATA_DIR: dataDir(),
      }
      try {
        const nodes = await Promise.all([
          startServer(env, ['--role', 'api']),
          startServer(env, ['--role', 'api']),
          startServer(env, ['--role', 'all']),
        ])
        for (const node of nodes) expect((await fetch(`${node.url}/ready`)).status).toBe(200)
        const db = new PgDatabase({ url, poolSize: 1 })
        const migrations = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM _prisma_migrations')
        const keys = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM signing_keys')
        await db.close()
        expect(migrations[0]!.n).toBe(readMigrations().length)
        expect(keys[0]!.n).toBe(1)
        // The service key printed once, by whichever node created it.
        expect(nodes.filter((n) => /Service key/.test(n.output()))).toHaveLength(1)
        for (const node of nodes) node.child.kill('SIGTERM')
        for (const node of nodes) expect((await exited(node.child)).code).toBe(0)
      } finally {
        await drop()
      }
    },
  )
})
