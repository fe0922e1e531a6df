import ivm from 'isolated-vm'
import {
  note,
  percentile,
  report,
  scaled,
  scaledEnv,
  startStratus,
  TINY,
  timeLimit,
  waitingFor,
} from './lib.ts'

// The first call of a just-deployed version (deploy pre-warms an isolate, so this is what a caller sees
// right after a deploy), p95 over ROUNDS deploys; baseline: a bare isolate creation (new isolate +
// context + module compile + evaluate + one call) with isolated-vm directly, p95. Also reported: the
// true cold path, every call building its isolate (FUNCTIONS_WARM_POOL_SIZE=0).
timeLimit({ full: 600, tiny: 150 })
const ROUNDS = scaledEnv('BENCH_ROUNDS', 40, 3)
/** Rounds run first and not counted (JIT, pools). */
const WARMUP_ROUNDS = scaled(3, 1)

async function bareIsolate(): Promise<number> {
  const t0 = performance.now()
  const isolate = new ivm.Isolate({ memoryLimit: 128 })
  const context = await isolate.createContext()
  const module = await isolate.compileModule('export default async (e) => ({ ok: true, e })')
  await module.instantiate(context, () => {
    throw new Error('no imports')
  })
  await module.evaluate()
  const fn = (await module.namespace.get('default', { reference: true })) as ivm.Reference
  await fn.apply(undefined, ['{}'], { arguments: { copy: true }, result: { promise: true, copy: true } })
  const ms = performance.now() - t0
  isolate.dispose()
  return ms
}

async function firstCalls(env: Record<string, string>): Promise<number[]> {
  const stratus = await startStratus(env)
  try {
    const admin = { authorization: `Bearer ${stratus.serviceKey}`, 'content-type': 'application/json' }
    const times: number[] = []
    for (let i = 0; i < ROUNDS + WARMUP_ROUNDS; i++) {
      waitingFor(`deploy and first call ${i + 1} of ${ROUNDS + WARMUP_ROUNDS}`)
      const deployed = await fetch(`${stratus.url}/admin/v1/functions/cold`, {
        method: 'PUT',
        headers: admin,
        body: JSON.stringify({
          code: `export default async (event) => ({ version: ${i}, path: event.data.path })`,
          triggers: [{ type: 'http', public: true }],
        }),
      })
      if (deployed.status !== 201)
        throw new Error(`deploy failed: ${deployed.status} ${await deployed.text()}`)
      const t0 = performance.now()
      const res = await fetch(`${stratus.url}/functions/v1/cold`, { method: 'POST' })
      const body = (await res.json()) as { version: number }
      const ms = performance.now() - t0
      if (res.status !== 200 || body.version !== i)
        throw new Error(`bad answer ${res.status} ${JSON.stringify(body)}`)
      if (i >= WARMUP_ROUNDS) times.push(ms)
    }
    return times
  } finally {
    await stratus.stop()
  }
}

const bare: number[] = []
waitingFor('bare isolate creations')
for (let i = 0; i < ROUNDS + WARMUP_ROUNDS; i++) {
  const ms = await bareIsolate()
  if (i >= WARMUP_ROUNDS) bare.push(ms)
}
const baseline = percentile(bare, 95)
note(`bare isolate creation: p50 ${percentile(bare, 50).toFixed(2)} ms, p95 ${baseline.toFixed(2)} ms`)

const afterDeploy = await firstCalls({})
const ours = percentile(afterDeploy, 95)
note(`first call after deploy: p50 ${percentile(afterDeploy, 50).toFixed(2)} ms, p95 ${ours.toFixed(2)} ms`)

// The same path on a second server with another setting: skipped when tiny (a server start is most of
// a tiny bench's time, and `firstCalls` has already run once).
const cold = TINY ? [] : await firstCalls({ FUNCTIONS_WARM_POOL_SIZE: '0' })
if (!TINY)
  note(
    `no warm pool (isolate built per call): p50 ${percentile(cold, 50).toFixed(2)} ms, p95 ${percentile(cold, 95).toFixed(2)} ms`,
  )

report({
  name: 'functions-cold',
  metric: "p95 latency of a just-deployed version's first HTTP call",
  value: ours,
  unit: 'ms',
  baseline,
  ratio: baseline / ours,
  p50_ms: percentile(afterDeploy, 50),
  unwarmed_p50_ms: percentile(cold, 50),
  unwarmed_p95_ms: percentile(cold, 95),
  goal_ms: 50,
})
