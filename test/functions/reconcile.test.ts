import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PUBLISHED_THROUGH } from '../../services/outbox/outbox.ts'
import { eventually, TEST_REDIS_URL, uniqueName } from '../support/lanes.ts'
import { startTestPlatform, type TestPlatform } from '../support/platform.ts'
import { deleteRedisKeys } from '../support/redis.ts'
import { deploy, FUNCTIONS_TEST_ENV, publish, service } from './helpers.ts'

// Redis losing its data (restarted without its files, or failed over to an empty replica) is a fault
// of the real lane only: the embedded bus and jobs live in the process, and the relay's settled
// watermark covers a crash there (test/functions/embedded-crash.test.ts).
describe.skipIf(!TEST_REDIS_URL)('functions: nothing lost when Redis loses its data (real)', () => {
  let t: TestPlatform
  let redis: Redis
  const prefix = () => t.env.REDIS_PREFIX!

  beforeAll(async () => {
    t = await startTestPlatform('real', {
      ...FUNCTIONS_TEST_ENV,
      FUNCTIONS_RECONCILE_INTERVAL_MS: '300',
      FUNCTIONS_RECONCILE_GRACE_MS: '1000',
    })
    redis = new Redis(TEST_REDIS_URL!)
  })
  afterAll(async () => {
    redis?.disconnect()
    await t?.close()
  })

  /** Holds a BullMQ queue of this platform still, so what is published to it waits there. */
  async function pause(name: string): Promise<void> {
    const queue = new Queue(name, { connection: redis, prefix: prefix() })
    await queue.pause()
    await queue.close()
  }

  /** Waits for `check` to stop throwing. */
  const until = (check: () => Promise<unknown>, ms = 10_000) =>
    eventually(async () => {
      await check()
      return true
    }, ms)

  /** What a failover to an empty replica does to this platform: every key it had is gone. */
  const loseRedis = () => deleteRedisKeys(TEST_REDIS_URL!, `${prefix()}:*`)

  async function succeeded(fn: string): Promise<Map<string, number>> {
    const rows = await t.platform.db.query<{ event_id: string; n: number }>(
      `SELECT event_id, count(*)::int AS n FROM function_executions
       WHERE function_name = $1 AND status = 'succeeded' GROUP BY event_id`,
      [fn],
    )
    return new Map(rows.map((r) => [r.event_id, r.n]))
  }

  it('runs the event triggers of events the bus lost, each once', async () => {
    const col = uniqueName('orders')
    await request(t.url)
      .put(`/admin/v1/collections/${col}`)
      .set(service(t))
      .send({ rules: { read: 'true', create: 'true' } })
      .expect(200)
    await deploy(t, 'derive', {
      code: `export default async (event, ctx) => {
        await ctx.db.collection('${col}_derived').doc(event.data.document.id).set({ from: event.id })
      }`,
      triggers: [{ type: 'event', event: 'db.document.created', subject: `collections/${col}/documents/*` }],
    })
    // The dispatcher's deliveries wait in Redis, then Redis loses them.
    await pause('sub.functions-dispatcher')
    const ids = Array.from({ length: 12 }, (_, i) => `o${i}`)
    for (const id of ids) {
      await request(t.url)
        .post(`/db/v1/collections/${col}/documents`)
        .set(service(t))
        .send({ id, data: { i: 1 } })
        .expect(201)
    }
    await eventually(async () => {
      const [row] = await t.platform.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM outbox WHERE subject LIKE $1 AND sequence <= ${PUBLISHED_THROUGH}`,
        [`collections/${col}/%`],
      )
      expect(row!.n).toBe(ids.length)
      return true
    })
    await loseRedis()

    const done = await eventually(async () => {
      const runs = await succeeded('derive')
      expect(runs.size).toBe(ids.length)
      return runs
    }, 20_000)
    expect([...done.values()].every((n) => n === 1)).toBe(true)
    for (const id of ids) {
      const res = await request(t.url)
        .get(`/db/v1/collections/${col}_derived/documents/${id}`)
        .set(service(t))
      expect(res.status).toBe(200)
    }
    // The bus is whole again: new events are delivered as usual.
    await request(t.url)
      .post(`/db/v1/collections/${col}/documents`)
      .set(service(t))
      .send({ id: 'late', data: {} })
      .expect(201)
    await until(async () => expect((await succeeded('derive')).size).toBe(ids.length + 1), 10_000)
  })

  it('runs the queue triggers of messages the job queue lost, each once', async () => {
    const queue = uniqueName('mail')
    await deploy(t, 'mailer', {
      code: 'export default async (event, ctx) => { ctx.log.info(JSON.stringify(event.data.payload)) }',
      triggers: [{ type: 'queue', queue }],
    })
    await pause(`jobs.queue.${queue}`)
    const sent = []
    for (let i = 0; i < 8; i++) sent.push((await publish(t, queue, { payload: { i } })).id)
    await eventually(async () => {
      const rows = await t.platform.db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM queue_messages WHERE queue = $1 AND dispatched_at IS NOT NULL',
        [queue],
      )
      expect(rows[0]!.n).toBe(sent.length)
      return true
    })
    await loseRedis()
    const done = await eventually(async () => {
      const runs = await succeeded('mailer')
      expect(runs.size).toBe(sent.length)
      return runs
    }, 20_000)
    expect([...done.values()].every((n) => n === 1)).toBe(true)
  })

  it('puts back the schedules the job queue lost', async () => {
    await deploy(t, 'ticker', {
      code: 'export default async () => {}',
      triggers: [{ type: 'schedule', cron: '* * * * * *' }],
    })
    await until(async () => expect((await succeeded('ticker')).size).toBeGreaterThan(0), 5000)
    await loseRedis()
    const lostAt = Date.now()
    await eventually(async () => {
      const rows = await t.platform.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM function_executions WHERE function_name = 'ticker' AND started_at > $1`,
        [new Date(lostAt + 500)],
      )
      expect(rows[0]!.n).toBeGreaterThan(1)
      return true
    }, 10_000)
    // Never two runs of one tick.
    expect([...(await succeeded('ticker')).values()].every((n) => n === 1)).toBe(true)
    await deploy(t, 'ticker', { code: 'export default async () => {}', triggers: [{ type: 'http' }] })
  })

  it('mends a schedule Redis lost in part, and deploys go on', async () => {
    await deploy(t, 'halfticker', {
      code: 'export default async () => {}',
      triggers: [{ type: 'schedule', cron: '* * * * * *' }],
    })
    await until(async () => expect((await succeeded('halfticker')).size).toBeGreaterThan(0), 5000)
    // The schedule's details go and its entry in BullMQ's set of schedules stays (a flush that raced
    // the scheduler leaves this).
    await redis.del(`${prefix()}:jobs.functions:repeat:halfticker.0`)
    const lostAt = Date.now()
    await until(async () => {
      const schedules = await t.platform.jobs.schedules('functions')
      expect(schedules.find((s) => s.id === 'halfticker.0')).toEqual({
        id: 'halfticker.0',
        cron: '* * * * * *',
        timezone: 'UTC',
      })
    })
    await until(async () => {
      const rows = await t.platform.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM function_executions WHERE function_name = 'halfticker' AND started_at > $1`,
        [new Date(lostAt + 500)],
      )
      expect(rows[0]!.n).toBeGreaterThan(1)
    })
    await deploy(t, 'halfticker', { code: 'export default async () => {}', triggers: [{ type: 'http' }] })
    expect((await t.platform.jobs.schedules('functions')).some((s) => s.id.startsWith('halfticker.'))).toBe(
      false,
    )
  })

  it('delivers nothing again when nothing was lost', async () => {
    const col = uniqueName('calm')
    await deploy(t, 'calm', {
      code: 'export default async () => {}',
      triggers: [{ type: 'event', event: 'db.document.created', subject: `collections/${col}/documents/*` }],
    })
    for (let i = 0; i < 10; i++) {
      await request(t.url)
        .post(`/db/v1/collections/${col}/documents`)
        .set(service(t))
        .send({ data: { i } })
        .expect(201)
    }
    await until(async () => expect((await succeeded('calm')).size).toBe(10), 10_000)
    // Let a few passes go by past the grace period: still one execution per event, no attempt 2.
    await new Promise((r) => setTimeout(r, 2000))
    const rows = await t.platform.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM function_executions WHERE function_name = 'calm'`,
    )
    expect(rows[0]!.n).toBe(10)
  })
})
