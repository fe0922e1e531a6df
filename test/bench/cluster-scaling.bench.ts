import pg from 'pg'
import { type Cluster, type ClusterNode, startCluster } from '../../scripts/cluster/cluster.ts'
import { note, PHASE_SECONDS, report } from './lib.ts'
import { scaledEnv } from './scale.ts'
import { onAbort, timeLimit, waitingFor } from './watchdog.ts'

// Scale-out in one run, on the production topology (scripts/cluster: HAProxy, api ×2, worker ×2, the
// cluster's own PostgreSQL, Redis and S3):
// - db-create: documents created through the balancer, 16 at a time, for PHASE_SECONDS, with 1 then 2
//   api nodes behind it (the other is stopped and HAProxy has marked it down);
// - functions-trigger: TRIGGER_EVENTS documents committed while no worker runs, then 1 (or 2) workers
//   started; the rate is executions over the span from the first handler start to the last handler
//   end, read from the execution records.
// The result line compares 2 api nodes with 1 (db-create); the trigger figures ride along.
// On a machine with few cores every process shares them, so this shows what a second node buys here,
// not what it buys on its own hardware (docs/scaling.md reads the figures).
const CONCURRENCY = 16
const TRIGGER_EVENTS = scaledEnv('BENCH_TRIGGER_EVENTS', 600, 40)

// Starting the topology (initdb, five processes, HAProxy) takes most of a tiny run.
timeLimit({ full: 900, tiny: 240 })

function requireNode(cluster: Cluster, name: string): ClusterNode {
  const node = cluster.nodes.find((n) => n.name === name)
  if (!node) throw new Error(`no node ${name}`)
  return node
}

/** Waits until HAProxy's stats say `server` (api1, api2) is `status` (UP or DOWN). */
async function serverStatus(cluster: Cluster, server: string, status: 'UP' | 'DOWN'): Promise<void> {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    const csv = await (await fetch(`${cluster.balancer.url};csv`)).text()
    const [header, ...rows] = csv.split('\n')
    const column = header?.replace(/^# /, '').split(',').indexOf('status') ?? -1
    const row = rows.find((line) => line.startsWith(`stratus_api,${server},`))
    if (row && column >= 0 && row.split(',')[column]?.startsWith(status)) return
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(`HAProxy never saw ${server} ${status}`)
}

async function post(cluster: Cluster, route: string, body: unknown, method = 'POST'): Promise<Response> {
  return fetch(`${cluster.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${cluster.serviceKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}

/** Documents created per second through the balancer over PHASE_SECONDS (after a 1 s warm-up). */
async function createRate(cluster: Cluster, collection: string): Promise<number> {
  let measuring = false
  let done = 0
  let failed = 0
  const warmUntil = Date.now() + 1000
  const endAt = warmUntil + PHASE_SECONDS * 1000
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < endAt) {
        const res = await post(cluster, `/db/v1/collections/${collection}/documents`, { data: { n: 1 } })
        await res.body?.cancel()
        if (Date.now() >= warmUntil) measuring = true
        if (!measuring) continue
        if (res.status === 201) done++
        else failed++
      }
    }),
  )
  if (failed) throw new Error(`${failed} creates failed`)
  return done / PHASE_SECONDS
}

/** Executions per second of `fn` over TRIGGER_EVENTS documents committed before `workers` start. */
async function triggerRate(
  cluster: Cluster,
  db: pg.Pool,
  fn: string,
  workers: ClusterNode[],
): Promise<number> {
  const collection = `${fn}-docs`
  let next = 0
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < TRIGGER_EVENTS) {
        next++
        const res = await post(cluster, `/db/v1/collections/${collection}/documents`, { data: { n: next } })
        if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`)
      }
    }),
  )
  waitingFor(`${workers.length} worker(s) to start and run ${TRIGGER_EVENTS} executions of ${fn}`)
  await Promise.all(workers.map((worker) => worker.start()))
  const deadline = Date.now() + 300_000
  for (;;) {
    const [row] = (
      await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM function_executions WHERE function_name = $1 AND status = 'succeeded'`,
        [fn],
      )
    ).rows
    if ((row?.n ?? 0) >= TRIGGER_EVENTS) break
    if (Date.now() > deadline) throw new Error(`${fn}: ${row?.n} of ${TRIGGER_EVENTS} executions after 300 s`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  const [span] = (
    await db.query<{ seconds: number }>(
      `SELECT extract(epoch FROM max(started_at + duration_ms * interval '1 millisecond') - min(started_at))::float AS seconds
         FROM function_executions WHERE function_name = $1 AND status = 'succeeded'`,
      [fn],
    )
  ).rows
  return TRIGGER_EVENTS / (span?.seconds ?? Number.NaN)
}

waitingFor('the cluster to start (PostgreSQL, Redis, S3, 2 api and 2 worker nodes, HAProxy)')
const cluster = await startCluster({ apiNodes: 2, workerNodes: 2, env: { LOG_LEVEL: 'info' } })
const forgetCluster = onAbort(() => cluster.stop())
const db = new pg.Pool({ connectionString: cluster.postgres.url, max: 2 })
try {
  const api2 = requireNode(cluster, 'api-2')
  const [worker1, worker2] = [requireNode(cluster, 'worker-1'), requireNode(cluster, 'worker-2')]
  for (const fn of ['trig-one', 'trig-two']) {
    const res = await post(
      cluster,
      `/admin/v1/functions/${fn}`,
      {
        code: 'export default async (event, ctx) => { ctx.log.info(event.data.document.id) }',
        concurrency: 64,
        triggers: [
          { type: 'event', event: 'db.document.created', subject: `collections/${fn}-docs/documents/*` },
        ],
      },
      'PUT',
    )
    if (res.status !== 201) throw new Error(`deploy ${fn}: ${res.status} ${await res.text()}`)
  }

  // Both api nodes' JIT and pools warm before either figure counts.
  waitingFor('creates through the balancer')
  note('warm-up')
  await createRate(cluster, 'bench-warm-up')
  note('db-create with 2 api nodes')
  const create2 = await createRate(cluster, 'bench-two-api')
  note(`  ${create2.toFixed(0)} documents/s`)
  await api2.kill()
  await serverStatus(cluster, 'api2', 'DOWN')
  note('db-create with 1 api node')
  const create1 = await createRate(cluster, 'bench-one-api')
  note(`  ${create1.toFixed(0)} documents/s`)
  await api2.start()
  await serverStatus(cluster, 'api2', 'UP')

  await Promise.all([worker1.kill(), worker2.kill()])
  note(`functions-trigger with 1 worker (${TRIGGER_EVENTS} events committed first)`)
  const trigger1 = await triggerRate(cluster, db, 'trig-one', [worker1])
  note(`  ${trigger1.toFixed(0)} executions/s`)
  await worker1.kill()
  note('functions-trigger with 2 workers')
  const trigger2 = await triggerRate(cluster, db, 'trig-two', [worker1, worker2])
  note(`  ${trigger2.toFixed(0)} executions/s`)

  report({
    name: 'cluster-scaling',
    metric: 'db-create through HAProxy, 2 api nodes vs 1',
    value: create2,
    unit: 'documents/s',
    baseline: create1,
    ratio: create2 / create1,
    triggerOneWorker: trigger1,
    triggerTwoWorkers: trigger2,
    triggerRatio: trigger2 / trigger1,
    triggerUnit: 'executions/s',
  })
} finally {
  waitingFor('the cluster to stop')
  await db.end()
  await cluster.stop()
  forgetCluster()
}
