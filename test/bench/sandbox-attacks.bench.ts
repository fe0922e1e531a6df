import { note, percentile, report, scaled, scaledEnv, startStratus, timeLimit, waitingFor } from './lib.ts'

// The node under attack from inside its sandbox: while hostile functions run (a huge result, a log
// flood, a memory bomb, an endless loop, oversized ctx calls, deep recursion, a promise storm), GET
// /health is timed back to back from this process. Goal: p99 ≤ 100 ms during every attack.
// Baseline: /health p99 on the same server with nothing running, measured in the same run.
// When tiny: 0.3 s per attack, and no call may run longer than 0.3 s (the calls in flight
// when an attack ends are waited for).
timeLimit({ full: 600, tiny: 150 })
const GOAL_MS = 100
const SECONDS_PER_ATTACK = scaledEnv('BENCH_SECONDS', 4, 0.3)
const TINY_TIMEOUT_MS = 300
const CONCURRENT_CALLS = 2

const ATTACKS: Record<string, { code: string; memoryMb?: number; timeoutMs?: number }> = {
  'huge-result': { code: `export default async () => 'x'.repeat(200 * 1024 * 1024)`, memoryMb: 1024 },
  'log-flood': {
    code: `export default async () => { for (let i = 0; i < 2e6; i++) console.log('y'.repeat(2000)) }`,
  },
  'memory-bomb': {
    code: `export default async () => { const a = []; for (;;) a.push(new Array(1e5).fill(1)) }`,
  },
  'endless-loop': { code: 'export default async () => { for (;;) {} }', timeoutMs: 2000 },
  'huge-ctx-write': {
    code: `export default async (e, ctx) => { await ctx.db.collection('c').add({ s: 'x'.repeat(50 * 1024 * 1024) }) }`,
    memoryMb: 512,
  },
  'deep-recursion': { code: 'export default async () => { const f = (n) => f(n + 1) + 1; return f(0) }' },
  'promise-storm': {
    code: 'export default async () => { for (;;) await Promise.all(Array.from({ length: 1e4 }, () => Promise.resolve(1))) }',
    timeoutMs: 2000,
  },
}

const stratus = await startStratus({ FUNCTIONS_MAX_MEMORY_MB: '1024' })
const admin = { authorization: `Bearer ${stratus.serviceKey}`, 'content-type': 'application/json' }

/** /health latencies, one request after the other, for `ms`. */
async function timeHealth(ms: number): Promise<number[]> {
  const times: number[] = []
  const until = performance.now() + ms
  while (performance.now() < until) {
    const t0 = performance.now()
    const res = await fetch(`${stratus.url}/health`, { signal: AbortSignal.timeout(10_000) })
    await res.arrayBuffer()
    times.push(performance.now() - t0)
  }
  return times
}

/** Calls `name` again and again, CONCURRENT_CALLS at a time, until `stop` resolves; counts answers by status. */
async function hammer(name: string, stop: Promise<void>): Promise<Record<string, number>> {
  const statuses: Record<string, number> = {}
  let stopped = false
  void stop.then(() => {
    stopped = true
  })
  await Promise.all(
    Array.from({ length: CONCURRENT_CALLS }, async () => {
      while (!stopped) {
        const res = await fetch(`${stratus.url}/functions/v1/${name}`, {
          method: 'POST',
          signal: AbortSignal.timeout(60_000),
        })
        const body = (await res.json().catch(() => ({}))) as { error?: { code?: string } }
        const key = `${res.status} ${body.error?.code ?? ''}`.trim()
        statuses[key] = (statuses[key] ?? 0) + 1
      }
    }),
  )
  return statuses
}

try {
  await timeHealth(scaled(1000, 200))
  const idle = await timeHealth(SECONDS_PER_ATTACK * 1000)
  const baseline = percentile(idle, 99)
  note(`idle: /health p50 ${percentile(idle, 50).toFixed(2)} ms, p99 ${baseline.toFixed(2)} ms`)
  const perAttack: Record<string, number> = {}
  for (const [name, attack] of Object.entries(ATTACKS)) {
    const deployed = await fetch(`${stratus.url}/admin/v1/functions/${name}`, {
      method: 'PUT',
      headers: admin,
      body: JSON.stringify({
        triggers: [{ type: 'http', public: true }],
        ...attack,
        timeoutMs: scaled(attack.timeoutMs, Math.min(attack.timeoutMs ?? TINY_TIMEOUT_MS, TINY_TIMEOUT_MS)),
      }),
    })
    if (deployed.status !== 201)
      throw new Error(`deploy ${name}: ${deployed.status} ${await deployed.text()}`)
    let stop: () => void = () => {}
    const stopped = new Promise<void>((resolve) => {
      stop = resolve
    })
    waitingFor(`the ${name} attack and its calls in flight`)
    const calls = hammer(name, stopped)
    const times = await timeHealth(SECONDS_PER_ATTACK * 1000)
    stop()
    const statuses = await calls
    perAttack[name] = percentile(times, 99)
    note(
      `${name}: /health p50 ${percentile(times, 50).toFixed(2)} ms, p99 ${perAttack[name]!.toFixed(2)} ms, max ${Math.max(...times).toFixed(0)} ms; answers ${JSON.stringify(statuses)}`,
    )
  }
  const worst = Math.max(...Object.values(perAttack))
  report({
    name: 'sandbox-attacks',
    metric: 'worst /health p99 while hostile functions run',
    value: worst,
    unit: 'ms',
    baseline,
    ratio: baseline / worst,
    goal_ms: GOAL_MS,
    goal_met: worst <= GOAL_MS,
    p99_by_attack_ms: perAttack,
  })
} finally {
  await stratus.stop()
}
