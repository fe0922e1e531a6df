import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually, TEST_DATABASE_URL, TEST_REDIS_URL } from '../support/lanes.ts'
import { startTestPlatform, type TestPlatform } from '../support/platform.ts'
import {
  busyFunctionCode,
  deploy,
  type ExecutionView,
  executions,
  FUNCTIONS_TEST_ENV,
  publish,
} from './helpers.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')

/** Starts `stratus start --role worker` on the test platform's database and Redis. */
function startWorker(t: TestPlatform, name: string): ChildProcess {
  const child = spawn(process.execPath, ['bin/stratus.mjs', 'start', '--role', 'worker'], {
    cwd: ROOT,
    env: { ...process.env, ...t.env, FUNCTIONS_WORKERS: '4', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    if (process.env.TEST_LOG_LEVEL) process.stderr.write(`[${name}] ${chunk}`)
  })
  return child
}

async function stop(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill(signal)
  await exited
}

/** Queue messages a probe function published (its side effects, counted in the database). */
async function probes(t: TestPlatform, queue: string): Promise<unknown[]> {
  const rows = await t.platform.db.query<{ payload: unknown }>(
    'SELECT payload FROM queue_messages WHERE queue = $1 ORDER BY created_at',
    [queue],
  )
  return rows.map((r) => r.payload)
}

// Several processes sharing one cluster: only on real Postgres + Redis (the embedded mode is one process).
describe.skipIf(!TEST_DATABASE_URL || !TEST_REDIS_URL)('functions across worker processes (real)', () => {
  let t: TestPlatform
  const workers: ChildProcess[] = []
  beforeAll(async () => {
    // This process serves HTTP and relays, but runs no function jobs: the workers do.
    t = await startTestPlatform('real', { ...FUNCTIONS_TEST_ENV, FUNCTIONS_WORKERS: '0' })
  })
  afterAll(async () => {
    await Promise.all(workers.map((w) => stop(w, 'SIGKILL')))
    await t?.close()
  })

  it('a schedule fires once per tick with two worker processes', async () => {
    await deploy(t, 'tick-probe', {
      code: `export default async (event, ctx) => { await ctx.queue.publish('ticks', event.data.scheduledAt) }`,
      triggers: [{ type: 'schedule', cron: '* * * * * *' }],
    })
    const a = startWorker(t, 'a')
    const b = startWorker(t, 'b')
    workers.push(a, b)
    const list = (await eventually(
      async () => {
        const done = (await executions(t, 'tick-probe')).filter((e) => e.status === 'succeeded')
        return done.length >= 5 ? done : undefined
      },
      60_000,
      'five ticks',
    )) as ExecutionView[]
    await Promise.all([stop(a), stop(b)])
    const ticks = (await probes(t, 'ticks')) as string[]
    // Every tick ran its handler exactly once: no tick twice, in two processes or in one.
    expect(ticks.length).toBeGreaterThanOrEqual(list.length)
    expect(new Set(ticks).size).toBe(ticks.length)
    const seconds = ticks.map((s) => Date.parse(s) / 1000)
    expect(seconds.every((s) => Number.isInteger(s))).toBe(true)
  }, 120_000)

  // A queue trigger runs as a function job; an event trigger's first attempt runs inside the
  // dispatcher's bus delivery. Either way the dead worker's lock lapses and another worker re-runs it.
  it.each([
    ['queue', 'slow-q', { type: 'queue', queue: 'slow-q' }],
    ['event', 'slow-e', { type: 'event', event: 'queue.message.published', subject: 'queues/slow-e' }],
  ] as const)(
    'killing a worker mid-execution re-runs that event on another worker (%s trigger)',
    async (kind, queue, trigger) => {
      const name = `slow-${kind}`
      await deploy(t, name, {
        code: busyFunctionCode('slow-started', 2000),
        timeoutMs: 30_000,
        retries: 0,
        triggers: [trigger],
      })
      const first = startWorker(t, 'first')
      workers.push(first)
      const msg = await publish(t, queue, { payload: 'work' })
      await eventually(
        async () => (await probes(t, 'slow-started')).includes(msg.id),
        60_000,
        'the first worker to start',
      )
      await stop(first, 'SIGKILL')
      const second = startWorker(t, 'second')
      workers.push(second)
      const done = (await eventually(
        async () => {
          const list = (await executions(t, name)).filter((e) => e.status === 'succeeded')
          return list.length ? list : undefined
        },
        60_000,
        'the re-run on the second worker',
      )) as ExecutionView[]
      expect(done).toHaveLength(1)
      expect(done[0]).toMatchObject({ eventId: msg.id, trigger: kind, status: 'succeeded' })
      expect(done[0]!.logs.map((l) => l.msg)).toEqual(['finished'])
      // The handler started again after the kill (at least once: a loaded machine may also see a live
      // job's lock lapse, which re-runs it too), and exactly one execution succeeded.
      expect((await probes(t, 'slow-started')).filter((id) => id === msg.id).length).toBeGreaterThanOrEqual(2)
      await stop(second)
    },
    120_000,
  )
})
