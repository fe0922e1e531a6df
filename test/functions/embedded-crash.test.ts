import { type ChildProcess, spawn } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import request from 'supertest'
import { afterAll, describe, expect, it } from 'vitest'
import { ensurePgliteTemplate } from '../support/databases.ts'
import { eventually } from '../support/lanes.ts'
import { freePort } from '../support/ports.ts'
import { busyFunctionCode, deploy, FUNCTIONS_TEST_ENV, service } from './helpers.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')

/** `stratus start` on the embedded drivers in `dataDir`; resolves once it serves, with its stdout. */
async function start(dataDir: string, port: number): Promise<{ child: ChildProcess; output: () => string }> {
  let out = ''
  const child = spawn(process.execPath, ['bin/stratus.mjs', 'start'], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...FUNCTIONS_TEST_ENV,
      STRATUS_DATA_DIR: dataDir,
      PORT: String(port),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout?.on('data', (chunk) => {
    out += chunk
  })
  child.stderr?.on('data', (chunk) => {
    out += chunk
  })
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`stratus exited: ${out}`)
      return (await fetch(`http://127.0.0.1:${port}/health`)).ok
    },
    60_000,
    'stratus to serve',
  )
  return { child, output: () => out }
}

/** A first start on a fresh copy of the migrated database in `dataDir`, with the service key it printed. */
async function startFresh(dataDir: string) {
  cpSync(await ensurePgliteTemplate(), path.join(dataDir, 'db'), { recursive: true })
  rmSync(path.join(dataDir, 'db', 'READY'), { force: true })
  const port = await freePort()
  const first = await start(dataDir, port)
  const serviceKey = /Service key[^\n]*\n(\S+)/.exec(first.output())?.[1] ?? ''
  expect(serviceKey).toBeTruthy()
  const url = `http://127.0.0.1:${port}`
  return { child: first.child, port, url, serviceKey, auth: service({ url, serviceKey }) }
}

// The embedded mode is one process with in-memory queues: a kill -9 mid-execution must still not lose
// the event. The in-process bus counts it settled only once its function jobs are done, so the relay
// re-delivers it after the restart.
describe('functions: kill -9 of an embedded process mid-execution (embedded)', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'stratus-fn-crash-'))
  let child: ChildProcess | undefined
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL')
    rmSync(dataDir, { recursive: true, force: true })
  })

  /** Commits `count` unrelated messages 600 ms apart (the relay persists the watermark meanwhile), then kill -9. */
  async function commitNoiseThenKill(
    url: string,
    auth: Record<string, string>,
    count: number,
  ): Promise<void> {
    for (let i = 0; i < count; i++) {
      await request(url).post('/queue/v1/noise/messages').set(auth).send({ payload: i })
      await new Promise((resolve) => setTimeout(resolve, 600))
    }
    child!.kill('SIGKILL')
    await new Promise((resolve) => child!.once('exit', resolve))
  }

  it('re-runs the event after the restart, and records one success', async () => {
    const fresh = await startFresh(dataDir)
    child = fresh.child
    const { port, url, auth } = fresh
    await deploy(fresh, 'slow', {
      code: busyFunctionCode('started', 5000),
      timeoutMs: 20_000,
      triggers: [{ type: 'queue', queue: 'work' }],
    })
    const msg = await request(url).post('/queue/v1/work/messages').set(auth).send({ payload: 'job' })
    expect(msg.status).toBe(202)
    const startedDepth = async () => {
      const res = await request(url).get('/admin/v1/queues').set(auth)
      return res.body.queues.find((q: { name: string }) => q.name === 'started')?.depth ?? 0
    }
    await eventually(async () => (await startedDepth()) >= 1, 30_000, 'the handler to start')
    // More commits while the handler runs, so the relay persists the bus's settled watermark (it does at
    // most twice a second): an event counted settled before its execution finished would now be lost.
    await commitNoiseThenKill(url, auth, 3)

    child = (await start(dataDir, port)).child
    const done = await eventually(
      async () => {
        const res = await request(url).get('/admin/v1/functions/slow/executions?status=succeeded').set(auth)
        return res.body.executions?.length ? res.body.executions : undefined
      },
      60_000,
      'the re-run after the restart',
    )
    expect(done).toHaveLength(1)
    expect(done[0]).toMatchObject({ eventId: msg.body.id, status: 'succeeded' })
    expect(await startedDepth()).toBeGreaterThanOrEqual(2)
    child.kill('SIGTERM')
    await new Promise((resolve) => child!.once('exit', resolve))
  }, 180_000)

  it('keeps a delayed queue message across the crash and runs it once when due', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stratus-fn-delay-'))
    try {
      const fresh = await startFresh(dir)
      child = fresh.child
      const { port, url, auth } = fresh
      await deploy(fresh, 'later', {
        code: `export default async (event, ctx) => { ctx.log.info(String(Date.now() >= Date.parse(event.data.availableAt))) }`,
        triggers: [{ type: 'queue', queue: 'later' }],
      })
      const delayed = await request(url)
        .post('/queue/v1/later/messages')
        .set(auth)
        .send({ payload: 'later', delayMs: 12_000 })
      expect(delayed.status).toBe(202)
      // Nothing else is pending, so these commits let the relay persist a settled watermark past the
      // delayed message's event: after the crash, only the database still knows about it.
      await commitNoiseThenKill(url, auth, 4)

      child = (await start(dir, port)).child
      const executions = async () =>
        (await request(url).get('/admin/v1/functions/later/executions').set(auth)).body.executions ?? []
      await eventually(async () => (await executions()).length > 0, 60_000, 'the delayed message to run')
      await new Promise((resolve) => setTimeout(resolve, 1000))
      const ran = await executions()
      expect(ran).toHaveLength(1)
      expect(ran[0]).toMatchObject({ eventId: delayed.body.id, status: 'succeeded', logs: [{ msg: 'true' }] })
      child.kill('SIGTERM')
      await new Promise((resolve) => child!.once('exit', resolve))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 180_000)
})
