import pg from 'pg'
import WebSocket from 'ws'
import {
  BENCH_DATABASE_URL,
  BENCH_REDIS_URL,
  backendCpuBetween,
  cpuOfProcessesNamed,
  createBenchDatabase,
  deleteRedisKeys,
  fail,
  machineBusy,
  note,
  onAbort,
  PHASE_SECONDS,
  percentile,
  processCpuMs,
  readBackendCpu,
  report,
  runPaced,
  scaled,
  scaledEnv,
  startStratus,
  timeLimit,
  waitingFor,
} from './lib.ts'

// Triggered writes: documents created through HTTP at a fixed RATE (200/s; 20/s when tiny) into
// `orders`, whose `db.document.created` trigger runs a function that writes a second document into
// `receipts`. value = p99 ms from the create being sent to the derived document reaching a realtime
// subscriber of `receipts` in this process (what a client waiting for the side effect sees). CPU per
// triggered create, from /proc over the paced phase (until the last receipt, plus a short settle for
// the batched execution records): the server process, every `postgres` process (with the backends
// that ended, which the postmaster has waited for) and `redis-server`. PostgreSQL and Redis are shared
// with whatever else runs on the machine: `postgres_own_backends_cpu_ms_per_create` (the backends of
// this bench's database only) and `machine_busy_pct` tell how much of their figure is ours.
// baseline = p99 of the create's own response (201) in the same phase: the ratio is the part of the
// chain that is the create itself.
timeLimit({ full: 600, tiny: 120 })
const RATE = scaledEnv('BENCH_RATE', 200, 20)
/** Creates sent first (and waited for) so that the isolate, pools and JIT are warm; not measured. */
const WARMUP = scaled(20, 3)
/** Seconds after the last receipt during which the batched bookkeeping still counts. */
const SETTLE_MS = scaled(1000, 200)
const WAIT_MS = scaledEnv('BENCH_WAIT_SECONDS', 60, 20) * 1000

const prefix = `bench_chain_${process.pid}`
const forgetKeys = onAbort(() => deleteRedisKeys(prefix))
const database = await createBenchDatabase()
const databaseName = new URL(database.url).pathname.slice(1)
const stratus = await startStratus({
  DATABASE_URL: database.url,
  REDIS_URL: BENCH_REDIS_URL,
  REDIS_PREFIX: prefix,
  LOG_LEVEL: 'warn',
})
const admin = new pg.Client({ connectionString: BENCH_DATABASE_URL })
await admin.connect()
let socket: WebSocket | undefined
try {
  const headers = { authorization: `Bearer ${stratus.serviceKey}`, 'content-type': 'application/json' }
  const deployed = await fetch(`${stratus.url}/admin/v1/functions/chain`, {
    method: 'PUT',
    headers,
    body: JSON.stringify({
      code: `export default async (event, ctx) => {
  const order = event.data.document
  await ctx.db.collection('receipts').doc(order.id).set({ n: order.data.n, total: order.data.total })
}`,
      concurrency: 64,
      triggers: [{ type: 'event', event: 'db.document.created', subject: 'collections/orders/documents/*' }],
    }),
  })
  if (deployed.status !== 201) throw new Error(`deploy failed: ${deployed.status} ${await deployed.text()}`)

  // The derived documents, as a client sees them: one realtime subscriber of `receipts`.
  const sentAt = new Map<number, number>()
  const latencies = new Map<number, number>()
  let subscribed = false
  socket = new WebSocket(
    `${stratus.url.replace('http', 'ws')}/realtime/v1?access_token=${stratus.serviceKey}`,
  )
  const ws = socket
  ws.on('message', (data) => {
    const frame = JSON.parse(String(data)) as {
      type: string
      event?: string
      document?: { data?: { n?: number } }
    }
    if (frame.type === 'subscribed') subscribed = true
    else if (frame.type === 'change' && frame.event === 'created') {
      const n = frame.document?.data?.n
      const sent = n === undefined ? undefined : sentAt.get(n)
      if (sent !== undefined && !latencies.has(n!)) latencies.set(n!, performance.now() - sent)
    }
  })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  ws.send(JSON.stringify({ type: 'subscribe', id: 'receipts', collection: 'receipts' }))

  /** Waits until every create in [from, to) has its receipt; fails when none arrives for WAIT_MS. */
  const receipts = async (from: number, to: number) => {
    const seen = () => {
      let n = 0
      for (let i = from; i < to; i++) if (latencies.has(i)) n++
      return n
    }
    waitingFor(() => `the receipts of creates ${from}..${to - 1} (${seen()} of ${to - from} seen)`)
    let last = seen()
    let lastChange = Date.now()
    while (last < to - from) {
      if (stratus.child.exitCode !== null) await fail(`the server exited:\n${stratus.output().slice(-4000)}`)
      await new Promise((r) => setTimeout(r, 20))
      const now = seen()
      if (now !== last) {
        last = now
        lastChange = Date.now()
      } else if (Date.now() - lastChange > WAIT_MS) {
        throw new Error(
          `only ${now} of ${to - from} receipts arrived, none for ${WAIT_MS / 1000} s; server output:\n` +
            stratus.output().slice(-4000),
        )
      }
    }
  }
  const createLatencies: number[] = []
  const create = async (n: number) => {
    sentAt.set(n, performance.now())
    const res = await fetch(`${stratus.url}/db/v1/collections/orders/documents`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ data: { n, total: 42, lines: [{ sku: 'a', qty: 1 }] } }),
    })
    createLatencies.push(performance.now() - sentAt.get(n)!)
    if (res.status !== 201) throw new Error(`create ${n}: ${res.status} ${await res.text()}`)
  }

  waitingFor('the realtime subscription to receipts')
  for (let i = 0; !subscribed; i++) {
    if (i > 1000) await fail('the realtime subscription to receipts was not confirmed within 20 s')
    await new Promise((r) => setTimeout(r, 20))
  }
  for (let n = 0; n < WARMUP; n++) await create(n)
  await receipts(0, WARMUP)
  createLatencies.length = 0

  // The paced phase, with CPU read around it.
  const count = Math.round(RATE * PHASE_SECONDS)
  const read = async () => ({
    server: processCpuMs(stratus.child.pid)!,
    postgres: cpuOfProcessesNamed('postgres'),
    redis: cpuOfProcessesNamed('redis-server'),
    backends: await readBackendCpu(admin, databaseName),
  })
  const before = await read()
  const busy = machineBusy()
  waitingFor(`sending ${count} creates at ${RATE}/s`)
  const phaseStart = performance.now()
  await runPaced(RATE, PHASE_SECONDS, (i) => create(WARMUP + i))
  await receipts(WARMUP, WARMUP + count)
  await new Promise((r) => setTimeout(r, SETTLE_MS))
  const after = await read()
  const machineBusyPct = busy()

  const perCreate = (ms: number) => ms / count
  const server = perCreate(after.server - before.server)
  const postgres = perCreate(after.postgres - before.postgres)
  const redis = perCreate(after.redis - before.redis)
  const ownBackendMs = backendCpuBetween(before.backends, after.backends)

  const measured = Array.from({ length: count }, (_, i) => latencies.get(WARMUP + i)!)
  const p50 = percentile(measured, 50)
  const p99 = percentile(measured, 99)
  // The first second of the phase alone: a slow start after the warm-up's pause shows here.
  const firstSecond = measured.filter((_, i) => i < RATE)
  const createP99 = percentile(createLatencies, 99)
  note(
    `${count} triggered creates at ${RATE}/s in ${((performance.now() - phaseStart) / 1000).toFixed(1)} s: ` +
      `send → receipt visible p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms ` +
      `(first second p99 ${percentile(firstSecond, 99).toFixed(1)} ms); create answered p99 ${createP99.toFixed(1)} ms`,
  )
  note(
    `CPU per triggered create: server ${server.toFixed(2)} ms, postgres ${postgres.toFixed(2)} ms ` +
      `(this database's backends ${perCreate(ownBackendMs).toFixed(2)} ms), redis ${redis.toFixed(2)} ms; ` +
      `total ${(server + postgres + redis).toFixed(2)} ms; machine ${machineBusyPct.toFixed(0)}% busy`,
  )

  report({
    name: 'trigger-chain',
    metric: `p99 create sent → derived document visible (realtime) at ${RATE} triggered creates/s`,
    value: p99,
    unit: 'ms',
    baseline: createP99,
    ratio: createP99 / Math.max(p99, 0.001),
    rate: RATE,
    creates: count,
    p50_ms: p50,
    p99_first_second_ms: percentile(firstSecond, 99),
    create_p99_ms: createP99,
    cpu_ms_per_create: server + postgres + redis,
    server_cpu_ms_per_create: server,
    postgres_cpu_ms_per_create: postgres,
    postgres_own_backends_cpu_ms_per_create: perCreate(ownBackendMs),
    redis_cpu_ms_per_create: redis,
    machine_busy_pct: machineBusyPct,
    goal_p99_ms: 100,
    goal_cpu_ms_per_create: 3,
  })
} finally {
  socket?.terminate()
  await admin.end()
  await stratus.stop()
  await database.drop()
  await deleteRedisKeys(prefix)
  forgetKeys()
}
