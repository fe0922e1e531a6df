import { loadHttp, note, report, spawnServer, startStratus, timeLimit } from './lib.ts'

// GET /health through the full gateway (identity hook, metrics, security headers, CORS, request ids,
// error envelope, every service's routes registered) vs a bare fastify route, same machine, same run,
// same load generator. Stratus runs as `--role api`, the gateway's own role: in `all` the worker loops
// of a freshly started embedded node (PGlite start-up, function pre-warming, relay polling) share its core.
timeLimit({ full: 300, tiny: 120 })
const bare = await spawnServer('test/bench/fixtures/bare-fastify.ts', [], {})
const baseline = await loadHttp(`${bare.url}/health`)
await bare.stop()
note(`bare fastify: ${baseline.rps.toFixed(0)} req/s, p99 ${baseline.p99} ms`)

const stratus = await startStratus({}, 'api')
const ours = await loadHttp(`${stratus.url}/health`)
await stratus.stop()
note(`stratus gateway: ${ours.rps.toFixed(0)} req/s, p99 ${ours.p99} ms`)

if (ours.errors || ours.non2xx) throw new Error(`gateway answered errors: ${JSON.stringify(ours)}`)
report({
  name: 'gateway',
  metric: 'GET /health throughput',
  value: ours.rps,
  unit: 'req/s',
  baseline: baseline.rps,
  ratio: ours.rps / baseline.rps,
  p99_ms: ours.p99,
  baseline_p99_ms: baseline.p99,
  goal_ratio: 0.7,
})
