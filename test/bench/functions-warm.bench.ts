import {
  BENCH_REDIS_URL,
  createBenchDatabase,
  deleteRedisKeys,
  loadHttpAlternating,
  note,
  onAbort,
  percentile,
  report,
  startStratus,
  timeLimit,
} from './lib.ts'

// Warm HTTP invocations of a no-op function (identity, routing, the sandbox pool, one V8 isolate call,
// the execution record written in batches) vs GET /health on the same gateway, same run, same load.
// On Postgres + Redis (the production drivers): the embedded PGlite runs on the event loop's thread, so
// there every execution record costs the gateway a few milliseconds of CPU (see the README).
timeLimit({ full: 300, tiny: 120 })
const prefix = `bench_warm_${process.pid}`
const forgetKeys = onAbort(() => deleteRedisKeys(prefix))
const database = await createBenchDatabase()
const stratus = await startStratus({
  DATABASE_URL: database.url,
  REDIS_URL: BENCH_REDIS_URL,
  REDIS_PREFIX: prefix,
  FUNCTIONS_WARM_POOL_SIZE: process.env.FUNCTIONS_WARM_POOL_SIZE ?? '',
})
try {
  const admin = { authorization: `Bearer ${stratus.serviceKey}`, 'content-type': 'application/json' }
  const deployed = await fetch(`${stratus.url}/admin/v1/functions/noop`, {
    method: 'PUT',
    headers: admin,
    body: JSON.stringify({
      code: 'export default async () => ({ ok: true })',
      triggers: [{ type: 'http', public: true }],
    }),
  })
  if (deployed.status !== 201) throw new Error(`deploy failed: ${deployed.status} ${await deployed.text()}`)

  // GET, like /health: the ratio then prices the function machinery, not reading a body. A POST with a
  // JSON body (the form API.md documents) is measured too, as `post_json_ratio`. The three alternate
  // in 1 s slices (see loadHttpAlternating): this machine's speed drifts within seconds.
  const [health, fn, post] = await loadHttpAlternating([
    { url: `${stratus.url}/health` },
    { url: `${stratus.url}/functions/v1/noop` },
    {
      url: `${stratus.url}/functions/v1/noop`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    },
  ])
  note(`GET /health: ${health!.rps.toFixed(0)} req/s, p99 ${health!.p99} ms`)
  note(`GET /functions/v1/noop: ${fn!.rps.toFixed(0)} req/s, p50 ${fn!.p50} ms, p99 ${fn!.p99} ms`)
  note(`POST /functions/v1/noop {}: ${post!.rps.toFixed(0)} req/s, p50 ${post!.p50} ms, p99 ${post!.p99} ms`)
  for (const phase of [health!, fn!, post!]) {
    if (phase.errors || phase.non2xx) throw new Error(`requests failed: ${JSON.stringify(phase)}`)
  }
  const sliceRatios = (of: { sliceRps: number[] }) => of.sliceRps.map((rps, i) => rps / health!.sliceRps[i]!)

  report({
    name: 'functions-warm',
    metric: 'warm HTTP invocations (GET) of a no-op function',
    value: fn!.rps,
    unit: 'req/s',
    baseline: health!.rps,
    ratio: fn!.rps / health!.rps,
    median_slice_ratio: percentile(sliceRatios(fn!), 50),
    p50_ms: fn!.p50,
    p99_ms: fn!.p99,
    baseline_p99_ms: health!.p99,
    post_json_rps: post!.rps,
    post_json_ratio: post!.rps / health!.rps,
    post_json_median_slice_ratio: percentile(sliceRatios(post!), 50),
    goal_ratio: 0.5,
  })
} finally {
  await stratus.stop()
  await database.drop()
  await deleteRedisKeys(prefix)
  forgetKeys()
}
