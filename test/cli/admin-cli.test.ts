import { type ChildProcess, spawn } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createPgDatabase, ensurePgliteTemplate } from '../support/databases.ts'
import { TEST_DATABASE_URL, TEST_REDIS_URL, uniqueName } from '../support/lanes.ts'
import { freePort, isAddressInUse } from '../support/ports.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const BIN = path.join(ROOT, 'bin/stratus.mjs')
const PASSWORD = 'correct horse battery'
const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})
function dataDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stratus-admin-cli-'))
  dirs.push(dir)
  return dir
}

/** A data directory holding a copy of the migrated embedded database (a fresh one takes seconds to create). */
async function migratedDataDir(): Promise<string> {
  const dir = dataDir()
  cpSync(await ensurePgliteTemplate(), path.join(dir, 'db'), { recursive: true })
  rmSync(path.join(dir, 'db', 'READY'), { force: true })
  return dir
}

/** Runs `stratus …` as a child process (asynchronously: a server child may be running meanwhile). */
function stratus(
  args: string[],
  env: Record<string, string>,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c) => (stdout += c))
    child.stderr.on('data', (c) => (stderr += c))
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
    child.on('exit', (status) => {
      clearTimeout(timer)
      resolve({ status, stdout, stderr })
    })
  })
}

/** Starts `stratus start` and resolves once it serves /health (another port if this one was taken). */
async function startServer(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  for (let tries = 1; ; tries++) {
    const port = await freePort()
    const child = spawn(process.execPath, [BIN, 'start'], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', PORT: String(port), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout!.on('data', (c) => (out += c))
    child.stderr!.on('data', (c) => (out += c))
    const url = `http://127.0.0.1:${port}`
    // Generous: the machines running the suite are shared and often loaded.
    const deadline = Date.now() + 120_000
    let ready = false
    while (Date.now() < deadline && child.exitCode === null) {
      if (
        await fetch(`${url}/health`).then(
          (r) => r.ok,
          () => false,
        )
      ) {
        ready = true
        break
      }
      await new Promise((r) => setTimeout(r, 100))
    }
    if (ready) return { child, url, output: () => out }
    child.kill('SIGKILL')
    if (tries >= 3 || !isAddressInUse(out)) throw new Error(`not ready: ${out}`)
  }
}

function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode)
  child.kill('SIGTERM')
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}

async function signIn(url: string, email: string, password = PASSWORD): Promise<Response> {
  return fetch(`${url}/admin/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  })
}

const newEmail = () => `${uniqueName('cli')}@example.com`

describe('stratus admin and keys', () => {
  it('creates and lists admins with no server running (embedded)', async () => {
    const env = { STRATUS_DATA_DIR: await migratedDataDir() }
    const email = newEmail()
    const created = await stratus(['admin', 'create', '--email', email, '--password', PASSWORD], env)
    expect(created.stderr).toBe('')
    expect(created.status).toBe(0)
    expect(created.stdout).toMatch(new RegExp(`^Created admin ${email} \\(owner\\), id \\S+\\.\\n$`))
    const listed = await stratus(['admin', 'list', '--json'], env)
    expect(listed.status).toBe(0)
    expect(JSON.parse(listed.stdout)).toEqual({
      admins: [expect.objectContaining({ email, role: 'owner', mfa: false })],
    })
  }, 240_000)

  it('works while a server holds the embedded database: keys, admin create and list go over the control socket', async () => {
    const dir = await migratedDataDir()
    const env = { STRATUS_DATA_DIR: dir }
    const server = await startServer(env)
    try {
      const printed = /Service key[^\n]*\n(\S+)/.exec(server.output())?.[1]
      const socket = path.join(dir, 'control.sock')
      expect(statSync(socket).isSocket()).toBe(true)
      expect(statSync(socket).mode & 0o777).toBe(0o600)

      const keys = await stratus(['keys', '--json'], env)
      expect(keys.stderr).toBe('')
      expect(keys.status).toBe(0)
      expect(JSON.parse(keys.stdout)).toEqual({ service: printed })

      // The service key is revocable: rotated over HTTP, then by the CLI through the server, `stratus
      // keys` prints the current one, and the server refuses the ones before.
      const overHttp = await fetch(`${server.url}/admin/v1/keys/service/rotate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${printed}` },
      })
      expect(overHttp.status).toBe(200)
      const second = ((await overHttp.json()) as { service: string }).service
      expect(JSON.parse((await stratus(['keys', '--json'], env)).stdout)).toEqual({ service: second })
      const byCli = await stratus(['keys', 'rotate-service', '--json'], env)
      expect(byCli.stderr).toBe('')
      expect(byCli.status).toBe(0)
      const { service } = JSON.parse(byCli.stdout) as { id: string; service: string }
      expect(JSON.parse((await stratus(['keys', '--json'], env)).stdout)).toEqual({ service })
      for (const old of [printed, second]) {
        const refused = await fetch(`${server.url}/admin/v1/audit`, {
          headers: { authorization: `Bearer ${old}` },
        })
        expect(refused.status).toBe(401)
      }

      const email = newEmail()
      const created = await stratus(
        ['admin', 'create', '--email', email, '--password', PASSWORD, '--role', 'developer', '--json'],
        env,
      )
      expect(created.stderr).toBe('')
      expect(created.status).toBe(0)
      const { admin } = JSON.parse(created.stdout)
      expect(admin).toMatchObject({ email, role: 'developer' })
      // The running server sees the admin at once: it created it.
      const session = await signIn(server.url, email)
      expect(session.status).toBe(200)
      expect(((await session.json()) as { admin: unknown }).admin).toEqual({
        id: admin.id,
        email,
        role: 'developer',
      })

      const listed = await stratus(['admin', 'list', '--json'], env)
      expect(listed.status).toBe(0)
      expect(JSON.parse(listed.stdout).admins.map((a: { email: string }) => a.email)).toEqual([email])
      const human = await stratus(['admin', 'list'], env)
      expect(human.stdout).toBe(`${admin.id}  ${email}  developer\n`)

      // A failing command answers over the socket as one line, exit 1, no stack trace.
      for (const [args, message] of [
        [['--email', newEmail(), '--password', 'short'], /at least 8 characters/],
        [['--email', 'not-an-email', '--password', PASSWORD], /email address is not valid/],
        [
          ['--email', newEmail(), '--password', PASSWORD, '--role', 'boss'],
          /role must be one of owner, developer, viewer/,
        ],
        [['--email', email.toUpperCase(), '--password', PASSWORD], /already exists/],
        [['--email', newEmail()], /needs --email and --password/],
      ] as const) {
        const bad = await stratus(['admin', 'create', ...args], env)
        expect(bad.status, bad.stderr).toBe(1)
        expect(bad.stderr.split('\n')[0]).toMatch(message)
        expect(bad.stderr).not.toMatch(/\n\s+at /) // no stack trace
      }

      // The CLI's creation is audited, with the service as actor and no password.
      const audit = await fetch(`${server.url}/admin/v1/audit`, {
        headers: { authorization: `Bearer ${service}` },
      })
      const entries = ((await audit.json()) as { entries: unknown }).entries as {
        action: string
        actor: unknown
        after: unknown
        ip: unknown
      }[]
      expect(entries.find((e) => e.action === 'stratus admin create')).toMatchObject({
        actor: { type: 'service' },
        after: { email, role: 'developer', password: '[redacted]' },
        ip: null,
      })
      expect(entries.find((e) => e.action === 'stratus keys rotate-service')).toMatchObject({
        actor: { type: 'service' },
        ip: null,
      })
    } finally {
      expect(await stop(server.child)).toBe(0)
    }
    // The socket goes with the server; then the CLI opens the database itself.
    expect(existsSync(path.join(dir, 'control.sock'))).toBe(false)
    const after = await stratus(['admin', 'list', '--json'], env)
    expect(after.status).toBe(0)
    expect(JSON.parse(after.stdout).admins).toHaveLength(1)
    // Each CLI run compiles the sources on the fly: a dozen of them take minutes on a loaded machine.
  }, 480_000)

  it.runIf(TEST_DATABASE_URL && TEST_REDIS_URL)(
    'on PostgreSQL, opens the shared database beside a running server',
    async () => {
      const { url, drop } = await createPgDatabase()
      const env = {
        DATABASE_URL: url,
        REDIS_URL: TEST_REDIS_URL!,
        REDIS_PREFIX: uniqueName('admincli'),
        STRATUS_DATA_DIR: dataDir(),
        AUTH_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      }
      try {
        const server = await startServer(env)
        try {
          expect(existsSync(path.join(env.STRATUS_DATA_DIR, 'control.sock'))).toBe(false)
          const email = newEmail()
          const created = await stratus(['admin', 'create', '--email', email, '--password', PASSWORD], env)
          expect(created.stderr).toBe('')
          expect(created.status).toBe(0)
          expect((await signIn(server.url, email)).status).toBe(200)
          const keys = await stratus(['keys', '--json'], env)
          expect(keys.status).toBe(0)
          expect(JSON.parse(keys.stdout).service).toMatch(/^ey/)
          // A rotation through the server: the CLI, reading the shared database, prints the new key.
          const rotated = await fetch(`${server.url}/admin/v1/keys/service/rotate`, {
            method: 'POST',
            headers: { authorization: `Bearer ${JSON.parse(keys.stdout).service}` },
          })
          expect(rotated.status).toBe(200)
          const { service } = (await rotated.json()) as { service: string }
          expect(JSON.parse((await stratus(['keys', '--json'], env)).stdout)).toEqual({ service })
          const listed = await stratus(['admin', 'list', '--json'], env)
          expect(JSON.parse(listed.stdout).admins.map((a: { email: string }) => a.email)).toEqual([email])
        } finally {
          expect(await stop(server.child)).toBe(0)
        }
      } finally {
        await drop()
      }
    },
    300_000,
  )
})
