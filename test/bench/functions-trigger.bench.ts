import { RedisBus } from '../../services/bus/redis/redis-bus.ts'
import { PgDatabase } from '../../services/db/pg-database.ts'
import { addToOutbox } from '../../services/outbox/outbox.ts'
import { signalOutboxCommits } from '../../services/outbox/relay.ts'
import { anyEvent } from '../support/events.ts'
import {
  BENCH_REDIS_URL,
  createBenchDatabase,
  deleteRedisKeys,
  note,
  onAbort,
  PHASE_SECONDS,
  percentile,
  processCpuMs,
  rawBullmqRate,
  report,
  runConcurrently,
  runPaced,
  scaled,
  scaledEnv,
  spawnServer,
  timeLimit,
  waitingFor,
} from './lib.ts'

// Events committed to the outbox (here, by this process, which hints the relay over Redis as an API
// node does) → relay → bus → dispatcher → job → a function's handler, on Postgres + Redis with a
// separate `stratus start` process. Throughput vs raw BullMQ
// add + process of the same payloads; then p99 commit → handler start at a steady 500 events/s. The
// handler logs Date.now() − the commit-time stamp carried by the event; the logs are read back from
// the execution records. When tiny: 200 events, 50 of warm-up, 50 events/s.
timeLimit({ full: 900, tiny: 150 })
// 10,000 events: at these rates a smaller run lasts a second or two, too short to be steady.
const COUNT = scaledEnv('BENCH_EVENTS', 10_000, 200)
/** Events run through before measuring (JIT, pools, the relay's batches), as the HTTP benches warm up. */
const WARMUP = scaled(1000, 50)
const RATE = scaled(500, 50)
const CONCURRENCY = 8
const UNTIL_TIMEOUT_MS = scaledEnv('BENCH_WAIT_SECONDS', 120, 30) * 1000

// A catalog type (deploys refuse triggers on unknown ones) that nothing but functions listens to.
const BENCH_TYPE = 'storage.object.created'
const prefix = `bench_fn_${process.pid}`
const forgetKeys = onAbort(() => deleteRedisKeys(prefix))
const baseline = await rawBullmqRate(
  `${prefix}_raw`,
  COUNT,
  CONCURRENCY,
  (i) => anyEvent({ type: BENCH_TYPE, subject: `buckets/bench/objects/${i}`, data: { i, t: Date.now() } }),
  WARMUP,
)
note(`raw BullMQ add + process: ${baseline.toFixed(0)} events/s`)

const database = await createBenchDatabase()
const db = new PgDatabase({ url: database.url, poolSize: CONCURRENCY })
// This process commits as an API node would, so it hints the relay leader (in the server) as one does.
const hints = new RedisBus({ url: BENCH_REDIS_URL, prefix })
signalOutboxCommits(db, hints)
const server = await spawnServer('bin/stratus.mjs', ['start', '--role', 'all'], {
  DATABASE_URL: database.url,
  REDIS_URL: BENCH_REDIS_URL,
  REDIS_PREFIX: prefix,
})
try {
  const keys = await db.query<{ service_token: string }>('SELECT service_token FROM signing_keys LIMIT 1')
  const deployed = await fetch(`${server.url}/admin/v1/functions/on-bench`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${keys[0]!.service_token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      code: `export default async (event, ctx) => { ctx.log.info(String(Date.now() - event.data.t)) }`,
      concurrency: 64,
      triggers: [{ type: 'event', event: BENCH_TYPE, subject: 'buckets/bench/objects/**' }],
    }),
  })
  if (deployed.status !== 201) throw new Error(`deploy failed: ${deployed.status} ${await deployed.text()}`)

  const commit = (i: number) =>
    db.tx((tx) =>
      addToOutbox(
        tx,
        anyEvent({ type: BENCH_TYPE, subject: `buckets/bench/objects/${i}`, data: { i, t: Date.now() } }),
      ),
    )
  const executed = async () =>
    (
      await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM function_executions WHERE function_name = 'on-bench'`,
      )
    )[0]!.n
  // A bench that waits forever tells nothing: give up after UNTIL_TIMEOUT_MS and say what was seen.
  const until = async (n: number) => {
    waitingFor(`${n} executions of on-bench to be recorded`)
    const deadline = Date.now() + UNTIL_TIMEOUT_MS
    for (let seen = await executed(); seen < n; seen = await executed()) {
      if (server.child.exitCode !== null || server.child.signalCode !== null) {
        throw new Error(`the server died after ${seen} of ${n} executions:\n${server.output().slice(-4000)}`)
      }
      if (Date.now() > deadline) {
        const [row] = await db.query<{ distinct: number; failed: number }>(
          `SELECT count(DISTINCT event_id)::int AS distinct, count(*) FILTER (WHERE status <> 'succeeded')::int AS failed
           FROM function_executions WHERE function_name = 'on-bench'`,
        )
        throw new Error(
          `only ${seen} of ${n} executions recorded ${UNTIL_TIMEOUT_MS / 1000} s after the last commit ` +
            `(${row!.distinct} distinct events, ${row!.failed} not succeeded); server output:\n${server.output().slice(-4000)}`,
        )
      }
      // Counting scans the function's executions, which grow by thousands: every 20 ms, that took a
      // fifth of a core from the Postgres being measured. Poll slowly until the end is near.
      await new Promise((r) => setTimeout(r, n - seen > n / 20 ? 100 : 10))
    }
  }

  waitingFor(`committing ${WARMUP} warm-up events`)
  await runConcurrently(WARMUP, CONCURRENCY, (i) => commit(-1 - i))
  await until(WARMUP)

  // Throughput: COUNT events from CONCURRENCY producers; time until the last execution is recorded.
  const start = performance.now()
  const cpuBefore = processCpuMs(server.child.pid)
  await runConcurrently(COUNT, CONCURRENCY, commit)
  await until(WARMUP + COUNT)
  const ours = COUNT / ((performance.now() - start) / 1000)
  const cpuAfter = processCpuMs(server.child.pid)
  const serverCpuUs =
    cpuBefore === undefined || cpuAfter === undefined ? undefined : ((cpuAfter - cpuBefore) * 1000) / COUNT
  note(
    `commit → function execution: ${ours.toFixed(0)} events/s` +
      (serverCpuUs === undefined ? '' : `, server CPU ${serverCpuUs.toFixed(0)} µs/event`),
  )

  // Latency at a steady RATE events/s.
  const before = await executed()
  const paced = Math.round(RATE * PHASE_SECONDS)
  const startedAt = new Date()
  waitingFor(`committing ${paced} events at ${RATE}/s`)
  await runPaced(RATE, PHASE_SECONDS, (i) => commit(COUNT + i))
  await until(before + paced)
  const rows = await db.query<{ logs: { msg: string }[] }>(
    `SELECT logs FROM function_executions WHERE function_name = 'on-bench' AND started_at >= $1`,
    [startedAt],
  )
  const lags = rows.map((r) => Number(r.logs[0]?.msg))
  const p50 = percentile(lags, 50)
  const p99 = percentile(lags, 99)
  note(`at ${RATE} events/s: commit → handler start p50 ${p50} ms, p99 ${p99} ms (${lags.length} events)`)

  report({
    name: 'functions-trigger',
    metric: 'p99 commit → handler start at 500 events/s (Redis)',
    value: p99,
    unit: 'ms',
    baseline,
    ratio: ours / baseline,
    throughput_events_per_s: ours,
    server_cpu_us_per_event: serverCpuUs,
    paced_rate: RATE,
    p50_ms_at_500: p50,
    goal_p99_ms: 30,
    goal_ratio: 0.7,
  })
} finally {
  await server.stop()
  await hints.close()
  await db.close()
  await database.drop()
  await deleteRedisKeys(prefix)
  forgetKeys()
}
