import { configureCollection, signUpBenchUser } from './db-helpers.ts'
import {
  BENCH_REDIS_URL,
  createBenchDatabase,
  deleteRedisKeys,
  type HttpTarget,
  loadHttpAlternating,
  note,
  onAbort,
  percentile,
  report,
  startStratus,
  timeLimit,
} from './lib.ts'

// What per-minute metering costs the hot paths: two Stratus processes on one PostgreSQL and Redis, the
// same in all but METRICS_ROLLUP (on: every response, execution and read counted, flushed every second
// rather than every minute, so the flushes' cost is inside the slices), loaded in alternating 1 s
// slices with document creates (authenticated, under a CEL rule) and warm calls of a no-op function.
// The ratio is the lower of on/off for the two workloads; the goal is ≥ 0.95 for both. Tracing is part of
// the contract (traceparent on every response) and has no switch: both nodes trace alike, so its cost is
// in both figures and the ratio measures metering. Neither exports to OpenTelemetry.
timeLimit({ full: 300, tiny: 120 })
const prefix = `bench_obs_${process.pid}`
const forgetKeys = onAbort(() => deleteRedisKeys(prefix))
const database = await createBenchDatabase()
const shared = {
  DATABASE_URL: database.url,
  DATABASE_POOL_SIZE: '10',
  REDIS_URL: BENCH_REDIS_URL,
  REDIS_PREFIX: prefix,
  RATE_LIMIT_SIGNUP: '0',
}
const on = await startStratus({ ...shared, METRICS_ROLLUP: 'true', METRICS_FLUSH_MS: '1000' }, 'api')
const off = await startStratus({ ...shared, METRICS_ROLLUP: 'false' }, 'api')
try {
  // One database: the key, user, rules and function set up through one node serve both.
  const serviceKey = on.serviceKey
  const { uid, token } = await signUpBenchUser(on.url)
  await configureCollection(on.url, serviceKey, 'posts', {
    rules: {
      read: 'auth != null && doc.owner == auth.uid',
      create: 'auth != null && request.data.owner == auth.uid',
    },
  })
  const deployed = await fetch(`${on.url}/admin/v1/functions/noop`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${serviceKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      code: 'export default async () => ({ ok: true })',
      triggers: [{ type: 'http', public: true }],
    }),
  })
  if (deployed.status !== 201) throw new Error(`deploy failed: ${deployed.status} ${await deployed.text()}`)

  const create = (url: string): HttpTarget => ({
    url: `${url}/db/v1/collections/posts/documents`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ data: { owner: uid, title: 'benchmark document', n: 42 } }),
  })
  const call = (url: string): HttpTarget => ({ url: `${url}/functions/v1/noop` })
  const [createOff, createOn, callOff, callOn] = await loadHttpAlternating([
    create(off.url),
    create(on.url),
    call(off.url),
    call(on.url),
  ])
  const phases = { createOff: createOff!, createOn: createOn!, callOff: callOff!, callOn: callOn! }
  for (const [name, phase] of Object.entries(phases)) {
    note(`${name}: ${phase.rps.toFixed(0)} req/s, p50 ${phase.p50} ms, p99 ${phase.p99} ms`)
    if (phase.errors || phase.non2xx) throw new Error(`${name}: requests failed: ${JSON.stringify(phase)}`)
  }
  const sliceRatio = (a: { sliceRps: number[] }, b: { sliceRps: number[] }) =>
    percentile(
      a.sliceRps.map((rps, i) => rps / b.sliceRps[i]!),
      50,
    )
  const createRatio = phases.createOn.rps / phases.createOff.rps
  const callRatio = phases.callOn.rps / phases.callOff.rps

  // The rows really were written: otherwise "on" measured nothing.
  const usage = await fetch(`${on.url}/admin/v1/usage`, {
    headers: { authorization: `Bearer ${serviceKey}` },
  })
  const metered = (await usage.json()) as { functions: Array<{ name: string; invocations: number }> }
  const invocations = metered.functions.find((f) => f.name === 'noop')?.invocations ?? 0
  if (invocations === 0) throw new Error(`metering recorded nothing: ${JSON.stringify(metered)}`)
  note(`metered noop invocations (on node, flushed so far): ${invocations}`)

  report({
    name: 'observability-overhead',
    metric: 'throughput with per-minute metering on vs off (lower of db creates and warm function calls)',
    value: Math.min(phases.createOn.rps, phases.callOn.rps),
    unit: 'req/s',
    baseline: createRatio <= callRatio ? phases.createOff.rps : phases.callOff.rps,
    ratio: Math.min(createRatio, callRatio),
    db_create_ratio: createRatio,
    db_create_median_slice_ratio: sliceRatio(phases.createOn, phases.createOff),
    function_call_ratio: callRatio,
    function_call_median_slice_ratio: sliceRatio(phases.callOn, phases.callOff),
    db_create_rps_on: phases.createOn.rps,
    db_create_rps_off: phases.createOff.rps,
    function_call_rps_on: phases.callOn.rps,
    function_call_rps_off: phases.callOff.rps,
    goal_ratio: 0.95,
  })
} finally {
  await Promise.all([on.stop(), off.stop()])
  await database.drop()
  await deleteRedisKeys(prefix)
  forgetKeys()
}
