import { spawn } from 'node:child_process'
import { Redis } from 'ioredis'
import { RedisBus } from '../../services/bus/redis/redis-bus.ts'
import { PgDatabase } from '../../services/db/pg-database.ts'
import { addToOutbox } from '../../services/outbox/outbox.ts'
import { anyEvent } from '../support/events.ts'
import {
  BENCH_REDIS_URL,
  createBenchDatabase,
  note,
  PHASE_SECONDS,
  percentile,
  ROOT,
  rawBullmqRate,
  report,
  runConcurrently,
  runPaced,
} from './lib.ts'

// Events/s from commit to a durable subscriber's handler over Redis — producers commit through the
// outbox, a separate `stratus start --role worker` process relays — vs raw BullMQ add + process of the
// same payloads. Then p99 commit → delivery latency at a steady 500 events/s.
const COUNT = Number(process.env.BENCH_EVENTS ?? 5000)
const CONCURRENCY = 8
const payload = (i: number) => ({
  document: { id: `doc${i}`, collection: 'posts', data: { title: `post ${i}`, n: i }, version: 1 },
})

const prefix = `bench_${process.pid}`
const baseline = await rawBullmqRate(`${prefix}_raw`, COUNT, CONCURRENCY, (i) =>
  anyEvent({
    type: 'db.document.created',
    subject: `collections/posts/documents/doc${i}`,
    data: payload(i),
  }),
)
note(`raw BullMQ add + process: ${baseline.toFixed(0)} events/s`)

const database = await createBenchDatabase()
const db = new PgDatabase({ url: database.url, poolSize: CONCURRENCY })
const bus = new RedisBus({ url: BENCH_REDIS_URL, prefix })
const latencies: number[] = []
let delivered = 0
let onDelivered: () => void = () => {}
await bus.subscribe('bench', async (event) => {
  const { t } = event.data as { t: number }
  latencies.push(Date.now() - t)
  delivered++
  onDelivered()
})
const until = (n: number) =>
  new Promise<void>((resolve) => {
    onDelivered = () => delivered >= n && resolve()
    onDelivered()
  })

const worker = spawn(process.execPath, ['bin/stratus.mjs', 'start', '--role', 'worker'], {
  cwd: ROOT,
  env: {
    ...process.env,
    DATABASE_URL: database.url,
    REDIS_URL: BENCH_REDIS_URL,
    REDIS_PREFIX: prefix,
    LOG_LEVEL: 'warn',
  },
  stdio: ['ignore', 'ignore', 'inherit'],
})
try {
  for (let i = 0; i < 600; i++) {
    if ((await db.query(`SELECT 1 FROM leases WHERE name = 'outbox-relay'`)).length) break
    await new Promise((r) => setTimeout(r, 100))
  }
  const commit = (i: number) =>
    db.tx((tx) =>
      addToOutbox(
        tx,
        anyEvent({
          type: 'db.document.created',
          subject: `collections/posts/documents/doc${i}`,
          data: { ...payload(i), t: Date.now() },
        }),
      ),
    )

  // Throughput: commit COUNT events with CONCURRENCY producers; time until the last is handled.
  const start = performance.now()
  await runConcurrently(COUNT, CONCURRENCY, commit)
  await until(COUNT)
  const ours = COUNT / ((performance.now() - start) / 1000)
  note(`stratus commit → relay → subscriber: ${ours.toFixed(0)} events/s`)

  // Latency at a steady 500 events/s.
  latencies.length = 0
  const before = delivered
  const paced = Math.round(500 * PHASE_SECONDS)
  await runPaced(500, PHASE_SECONDS, (i) => commit(COUNT + i))
  await until(before + paced)
  const p50 = percentile(latencies, 50)
  const p99 = percentile(latencies, 99)
  note(`at 500 events/s: p50 ${p50} ms, p99 ${p99} ms`)

  report({
    name: 'outbox',
    metric: 'events/s commit → subscriber (Redis)',
    value: ours,
    unit: 'events/s',
    baseline,
    ratio: ours / baseline,
    goal_ratio: 0.5,
    p50_ms_at_500: p50,
    p99_ms_at_500: p99,
    goal_p99_ms: 50,
  })
} finally {
  worker.kill('SIGTERM')
  await new Promise((r) => worker.once('exit', r))
  await bus.close()
  await db.close()
  await database.drop()
  const redis = new Redis(BENCH_REDIS_URL)
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    if (keys.length) await redis.del(...keys)
    cursor = next
  } while (cursor !== '0')
  redis.disconnect()
}
