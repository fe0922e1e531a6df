import { readFileSync } from 'node:fs'
import WebSocket from 'ws'
import {
  BENCH_REDIS_URL,
  createBenchDatabase,
  deleteRedisKeys,
  machineBusy,
  note,
  onAbort,
  PHASE_SECONDS,
  percentile,
  report,
  runPaced,
  scaledEnv,
  spawnServer,
  startStratus,
  timeLimit,
  waitingFor,
} from './lib.ts'

// Realtime: SUBSCRIBERS WebSocket subscribers on one `stratus start` node (real Postgres + Redis), each
// subscribed to a `where room == k` query over one collection (ROOMS rooms), while WRITES_PER_SECOND
// documents are written through HTTP, round-robin over the rooms. Every write is matched against every
// subscription; it reaches SUBSCRIBERS / ROOMS of them. value = p99 ms from the write's commit (the
// document's updatedAt) to the frame's arrival here; also p50 and the server's RSS per idle connection.
// Baseline: a bare `ws` server fanning the same writes out by room (no database, bus, rules or matching),
// p99 from the POST to the frame.
// When tiny: 50 subscribers in 5 rooms, 20 writes/s.
timeLimit({ full: 600, tiny: 120 })
const SUBSCRIBERS = scaledEnv('BENCH_SUBSCRIBERS', 5000, 50)
const ROOMS = scaledEnv('BENCH_ROOMS', 50, 5)
const WRITES_PER_SECOND = scaledEnv('BENCH_WRITES', 100, 20)

function rssKiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(match?.[1] ?? 0)
}

async function openAll(urls: (i: number) => string, onFrame: (data: string) => void): Promise<WebSocket[]> {
  const sockets: WebSocket[] = []
  for (let i = 0; i < SUBSCRIBERS; i += 250) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(250, SUBSCRIBERS - i) }, (_, k) => {
        const ws = new WebSocket(urls(i + k))
        ws.on('message', (data) => onFrame(String(data)))
        return new Promise<WebSocket>((resolve, reject) => {
          ws.once('open', () => resolve(ws))
          ws.once('error', reject)
        })
      }),
    )
    sockets.push(...batch)
  }
  return sockets
}

async function settle(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  waitingFor(what)
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function baseline(): Promise<{ p99: number; busyPct: number }> {
  const server = await spawnServer('test/bench/fixtures/bare-ws.ts', [], {})
  const sent = new Map<number, number>()
  const latencies: number[] = []
  const sockets = await openAll(
    (i) => `${server.url.replace('http', 'ws')}/?room=r${i % ROOMS}`,
    (data) => {
      const { i } = JSON.parse(data) as { i: number }
      latencies.push(performance.now() - sent.get(i)!)
    },
  )
  const fanout = SUBSCRIBERS / ROOMS
  const busy = machineBusy()
  await runPaced(WRITES_PER_SECOND, PHASE_SECONDS, async (i) => {
    sent.set(i, performance.now())
    await fetch(`${server.url}/publish`, {
      method: 'POST',
      body: JSON.stringify({ room: `r${i % ROOMS}`, i }),
    })
  })
  await settle(
    () => latencies.length >= WRITES_PER_SECOND * PHASE_SECONDS * fanout,
    30_000,
    'baseline frames',
  )
  const busyPct = busy()
  for (const ws of sockets) ws.terminate()
  await server.stop()
  return { p99: percentile(latencies, 99), busyPct }
}

const prefix = `bench-rt-${process.pid}`
const forgetKeys = onAbort(() => deleteRedisKeys(prefix))
const database = await createBenchDatabase()
const stratus = await startStratus({
  DATABASE_URL: database.url,
  REDIS_URL: BENCH_REDIS_URL,
  REDIS_PREFIX: prefix,
  RELAY_POLL_MS: '25',
})
try {
  const collection = 'rooms'
  const put = await fetch(`${stratus.url}/admin/v1/collections/${collection}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${stratus.serviceKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ rules: { read: 'auth != null', create: 'auth != null' } }),
  })
  if (!put.ok) throw new Error(`collection: ${put.status} ${await put.text()}`)

  const rssBefore = rssKiB(stratus.child.pid!)
  const latencies: number[] = []
  let subscribed = 0
  note(`opening ${SUBSCRIBERS} subscribers`)
  const sockets = await openAll(
    () => `${stratus.url.replace('http', 'ws')}/realtime/v1?access_token=${stratus.serviceKey}`,
    (data) => {
      const frame = JSON.parse(data) as { type: string; document?: { updatedAt: string } }
      if (frame.type === 'subscribed') subscribed++
      else if (frame.type === 'change') latencies.push(Date.now() - Date.parse(frame.document!.updatedAt))
    },
  )
  for (const [i, ws] of sockets.entries()) {
    ws.send(
      JSON.stringify({ type: 'subscribe', id: 's', collection, where: [['room', '==', `r${i % ROOMS}`]] }),
    )
  }
  await settle(() => subscribed === SUBSCRIBERS, 60_000, 'subscriptions')
  await new Promise((r) => setTimeout(r, 2000))
  const rssAfter = rssKiB(stratus.child.pid!)
  const perConnectionKiB = (rssAfter - rssBefore) / SUBSCRIBERS
  note(`server RSS ${rssBefore} → ${rssAfter} KiB: ${perConnectionKiB.toFixed(1)} KiB per idle subscriber`)

  const fanout = SUBSCRIBERS / ROOMS
  note(`writing ${WRITES_PER_SECOND}/s for ${PHASE_SECONDS}s (fan-out ${fanout} frames per write)`)
  const headers = { authorization: `Bearer ${stratus.serviceKey}`, 'content-type': 'application/json' }
  const busy = machineBusy()
  await runPaced(WRITES_PER_SECOND, PHASE_SECONDS, async (i) => {
    const res = await fetch(`${stratus.url}/db/v1/collections/${collection}/documents`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ data: { room: `r${i % ROOMS}`, i } }),
    })
    if (res.status !== 201) throw new Error(`write: ${res.status} ${await res.text()}`)
  })
  const expected = WRITES_PER_SECOND * PHASE_SECONDS * fanout
  await settle(() => latencies.length >= expected, 60_000, `${expected} frames (got ${latencies.length})`)
  const busyPct = busy()
  for (const ws of sockets) ws.terminate()
  const p50 = percentile(latencies, 50)
  const p99 = percentile(latencies, 99)
  note(
    `commit → frame: p50 ${p50} ms, p99 ${p99} ms over ${latencies.length} frames; machine ${busyPct.toFixed(0)}% busy`,
  )

  const base = await baseline()
  note(`bare ws fan-out: p99 ${base.p99.toFixed(1)} ms; machine ${base.busyPct.toFixed(0)}% busy`)
  report({
    name: 'realtime',
    metric: 'p99 commit → frame latency',
    value: p99,
    unit: 'ms',
    baseline: base.p99,
    ratio: base.p99 / Math.max(p99, 0.001),
    p50,
    subscribers: SUBSCRIBERS,
    writesPerSecond: WRITES_PER_SECOND,
    framesPerWrite: fanout,
    rssPerIdleConnectionKiB: perConnectionKiB,
    // The load generator (and its 5,000 sockets) shares the cores with the server, Postgres and Redis.
    machine_busy_pct: busyPct,
    baseline_machine_busy_pct: base.busyPct,
    goal_p99_ms: 100,
    // p99 at most 4× the bare fan-out's.
    goal_ratio: 0.25,
    goal_rssPerIdleConnectionKiB: 8,
  })
} finally {
  await stratus.stop()
  await database.drop()
  await deleteRedisKeys(prefix)
  forgetKeys()
}
