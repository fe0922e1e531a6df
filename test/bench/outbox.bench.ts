import { RedisBus } from '../../services/bus/redis/redis-bus.ts'
import { PgDatabase } from '../../services/db/pg-database.ts'
import { addToOutbox, outboxLagSeconds } from '../../services/outbox/outbox.ts'
import { signalOutboxCommits } from '../../services/outbox/relay.ts'
import { anyEvent } from '../support/events.ts'
import {
  BENCH_REDIS_URL,
  createBenchDatabase,
  deleteRedisKeys,
  fail,
  note,
  onAbort,
  PHASE_SECONDS,
  percentile,
  rawBullmqRate,
  report,
  runConcurrently,
  runPaced,
  scaled,
  scaledEnv,
  spawnWorker,
  timeLimit,
  waitingFor,
} from './lib.ts'

// Events/s from commit to a durable subscriber's handler over Redis — producers commit through the
// outbox, a separate `stratus start --role worker` process relays — vs raw BullMQ add + process of the
// same payloads. Then p99 commit → delivery latency at a steady RATE events/s (500; 50 when tiny).
// Both ends as the product has them: a producer commits an event in one statement (as a document
// write does: the row and its event in one INSERT, no BEGIN/COMMIT round trips), and the subscriber
// takes the relay's batches whole (`batched`, as the functions dispatcher, the product's durable
// subscriber, does).
timeLimit({ full: 600, tiny: 120 })
const COUNT = scaledEnv('BENCH_EVENTS', 5000, 100)
const RATE = scaled(500, 50)
/** How long to wait for deliveries after the last commit before failing (BENCH_WAIT_SECONDS). */
const WAIT_MS = scaledEnv('BENCH_WAIT_SECONDS', 120, 20) * 1000
const CONCURRENCY = 8
/** Events already relayed before the bench starts (BENCH_OLD_EVENTS): speed must not depend on vacuum. */
const OLD_EVENTS = Number(process.env.BENCH_OLD_EVENTS ?? 0)
const payload = (i: number) => ({
  document: { id: `doc${i}`, collection: 'posts', data: { title: `post ${i}`, n: i }, version: 1 },
})

/** The server's WAL position and the outbox's row versions written so far (inserted + updated). */
async function databaseWrites(): Promise<{ lsn: string; rowVersions: number }> {
  // Statistics reach the shared counters when a backend goes idle, at most once a second.
  await new Promise((r) => setTimeout(r, 1500))
  const [row] = await db.query<{ lsn: string; versions: number }>(
    `SELECT pg_current_wal_lsn()::text AS lsn,
       (SELECT (n_tup_ins + n_tup_upd)::int FROM pg_stat_user_tables WHERE relname = 'outbox') AS versions`,
  )
  return { lsn: row!.lsn, rowVersions: row!.versions }
}

function writesPerEvent(
  before: { lsn: string; rowVersions: number },
  after: { lsn: string; rowVersions: number },
  events: number,
): { walBytes: number; rowVersions: number } {
  const lsn = (text: string) => {
    const [high, low] = text.split('/')
    return Number.parseInt(high!, 16) * 2 ** 32 + Number.parseInt(low!, 16)
  }
  return {
    walBytes: (lsn(after.lsn) - lsn(before.lsn)) / events,
    rowVersions: (after.rowVersions - before.rowVersions) / events,
  }
}

const prefix = `bench_${process.pid}`
const forgetKeys = onAbort(() => deleteRedisKeys(prefix))
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
if (OLD_EVENTS > 0) {
  // The table as a long-running server leaves it: events inserted, then numbered by the relay in a
  // second row version (the first left dead: nothing vacuums here when autovacuum is off), and
  // recorded as published. Written directly: pushing them through Redis would only time BullMQ.
  waitingFor(`writing ${OLD_EVENTS} old events`)
  await db.query(
    `INSERT INTO outbox (event_id, type, source, subject, time, data, created_at)
     SELECT 'old-' || i, 'db.document.created', '/stratus', 'collections/old/documents/d' || i, now(),
       $2::jsonb, now() - interval '1 hour'
     FROM generate_series(1, $1::int) AS i`,
    [OLD_EVENTS, JSON.stringify(payload(0))],
  )
  await db.query('UPDATE outbox SET sequence = id')
  await db.query(`INSERT INTO outbox_publications (through_sequence) SELECT max(sequence) FROM outbox`)
  note(`${OLD_EVENTS} old events in the outbox (one dead row version each, no vacuum, no statistics)`)
}
const bus = new RedisBus({ url: BENCH_REDIS_URL, prefix })
// The producers hint the relay at each commit, as every Stratus node's do (services/platform.ts):
// without the hints the relay finds the paced phase's first events only at its backed-off idle poll,
// which put seconds into the p99 that no deployment has.
const stopHints = signalOutboxCommits(db, bus)
const latencies: number[] = []
let delivered = 0
let onDelivered: () => void = () => {}
await bus.subscribe(
  'bench',
  async (event) => {
    const { t } = event.data as { t: number }
    latencies.push(Date.now() - t)
    delivered++
    onDelivered()
  },
  { batched: true },
)
/** Resolves when `n` events were delivered; fails the bench when none arrives for WAIT_MS. */
const until = (n: number) =>
  new Promise<void>((resolve, reject) => {
    waitingFor(() => `${n} deliveries to the subscriber (${delivered} so far)`)
    let timer: NodeJS.Timeout | undefined
    const stalled = () => {
      clearTimeout(timer)
      timer = setTimeout(
        () => reject(new Error(`only ${delivered} of ${n} events delivered; none for ${WAIT_MS / 1000} s`)),
        WAIT_MS,
      )
    }
    onDelivered = () => {
      if (delivered >= n) {
        clearTimeout(timer)
        resolve()
      } else stalled()
    }
    onDelivered()
  })

const worker = spawnWorker({ DATABASE_URL: database.url, REDIS_URL: BENCH_REDIS_URL, REDIS_PREFIX: prefix })
try {
  waitingFor('the worker process to take the outbox-relay lease')
  for (let i = 0; ; i++) {
    if ((await db.query(`SELECT 1 FROM leases WHERE name = 'outbox-relay'`)).length) break
    if (worker.exitCode !== null) await fail(`the worker process exited (${worker.exitCode}) before relaying`)
    if (i === 600) await fail('the worker process took no outbox-relay lease within 60 s')
    await new Promise((r) => setTimeout(r, 100))
  }
  const commit = (i: number) =>
    addToOutbox(
      db,
      anyEvent({
        type: 'db.document.created',
        subject: `collections/posts/documents/doc${i}`,
        data: { ...payload(i), t: Date.now() },
      }),
    )

  // Throughput: commit COUNT events with CONCURRENCY producers; time until the last is handled.
  const writesBefore = await databaseWrites()
  const start = performance.now()
  waitingFor(`committing ${COUNT} events`)
  await runConcurrently(COUNT, CONCURRENCY, commit)
  await until(COUNT)
  const ours = COUNT / ((performance.now() - start) / 1000)
  note(`stratus commit → relay → subscriber: ${ours.toFixed(0)} events/s`)
  // What each event cost PostgreSQL in writes, producer and relay together (the relay marks what it
  // published after the subscriber may have it: wait until the lag is 0).
  waitingFor('the relay to record its last batch')
  while (await outboxLagSeconds(db)) await new Promise((r) => setTimeout(r, 50))
  const writes = writesPerEvent(writesBefore, await databaseWrites(), COUNT)
  note(
    `postgres writes per event: ${writes.walBytes.toFixed(0)} WAL bytes, ${writes.rowVersions.toFixed(2)} outbox row versions`,
  )

  // Latency at a steady RATE events/s.
  latencies.length = 0
  const before = delivered
  const paced = Math.round(RATE * PHASE_SECONDS)
  waitingFor(`committing ${paced} events at ${RATE}/s`)
  await runPaced(RATE, PHASE_SECONDS, (i) => commit(COUNT + i))
  await until(before + paced)
  const p50 = percentile(latencies, 50)
  const p99 = percentile(latencies, 99)
  note(`at ${RATE} events/s: p50 ${p50} ms, p99 ${p99} ms`)

  report({
    name: 'outbox',
    metric: 'events/s commit → subscriber (Redis)',
    value: ours,
    unit: 'events/s',
    baseline,
    ratio: ours / baseline,
    goal_ratio: 0.7,
    paced_rate: RATE,
    p50_ms_at_500: p50,
    p99_ms_at_500: p99,
    goal_p99_ms_at_500: 30,
    wal_bytes_per_event: writes.walBytes,
    outbox_row_versions_per_event: writes.rowVersions,
    old_events: OLD_EVENTS,
  })
} finally {
  waitingFor('the worker process to stop and the bench to clean up')
  await worker.stop()
  stopHints()
  await bus.close()
  await db.close()
  await database.drop()
  await deleteRedisKeys(prefix)
  forgetKeys()
}
