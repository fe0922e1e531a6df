import {
  loadHttpAlternating,
  note,
  processCpuMs,
  report,
  spawnServer,
  startStratus,
  timeLimit,
} from './lib.ts'

// GET /health through the full gateway (identity hook, metrics, security headers, CORS, request ids,
// tracing, error envelope, every service's routes registered) vs a bare fastify route, same machine,
// same run, same load generator, loaded in alternating 1 s slices (this machine's speed drifts within
// seconds: back-to-back phases let one side gain from a quieter moment). Stratus runs as `--role api`,
// the gateway's own role: in `all` the worker loops of a freshly started node share its core.
// Besides throughput, each server's CPU per request in its slices (from /proc): less at the mercy of
// the machine's other load than requests per second, so a change of the gateway's own cost shows there.
timeLimit({ full: 300, tiny: 120 })
const bare = await spawnServer('test/bench/fixtures/bare-fastify.ts', [], {})
const stratus = await startStratus({}, 'api').catch(async (error) => {
  await bare.stop()
  throw error
})
try {
  const pids = [bare.child.pid, stratus.child.pid]
  const [base, ours] = await loadHttpAlternating(
    [{ url: `${bare.url}/health` }, { url: `${stratus.url}/health` }],
    { cpuOf: (i) => processCpuMs(pids[i]) },
  )
  const cpuUs = (load: { cpuMs?: number; requests: number }) =>
    ((load.cpuMs ?? 0) * 1000) / Math.max(1, load.requests)
  note(
    `bare fastify: ${base!.rps.toFixed(0)} req/s, p99 ${base!.p99} ms, ${cpuUs(base!).toFixed(1)} µs CPU/request`,
  )
  note(
    `stratus gateway: ${ours!.rps.toFixed(0)} req/s, p99 ${ours!.p99} ms, ${cpuUs(ours!).toFixed(1)} µs CPU/request`,
  )
  if (ours!.errors || ours!.non2xx) throw new Error(`gateway answered errors: ${JSON.stringify(ours)}`)
  report({
    name: 'gateway',
    metric: 'GET /health throughput',
    value: ours!.rps,
    unit: 'req/s',
    baseline: base!.rps,
    ratio: ours!.rps / base!.rps,
    p99_ms: ours!.p99,
    baseline_p99_ms: base!.p99,
    cpu_us_per_request: cpuUs(ours!),
    baseline_cpu_us_per_request: cpuUs(base!),
    goal_ratio: 0.8,
  })
} finally {
  await Promise.all([bare.stop(), stratus.stop()])
}
