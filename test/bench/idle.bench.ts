import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { Redis } from 'ioredis'
import pg from 'pg'
import {
  BENCH_DATABASE_URL,
  BENCH_REDIS_URL,
  createBenchDatabase,
  note,
  processCpuMs,
  report,
  scaled,
  scaledEnv,
  startStratus,
  timeLimit,
  waitingFor,
} from './lib.ts'

// Idle cost: the CPU a `stratus start --role all` server burns with no traffic at all, in % of one core,
// on each lane — embedded (PGlite + in-process bus) and real services (Postgres + Redis). The server
// settles SETTLE_SECONDS after it answers /health, then its CPU time (with waited-for children) is read
// from /proc over IDLE_SECONDS. On the real lane, also what answering it costs the services: the CPU of
// the Postgres backends serving its (fresh) database and their transactions, and the Redis commands its
// connections send (counted with MONITOR) priced at the server-wide µs per call of each command.
// value = the worse lane's server CPU; baseline = the goal (1% of a core); ratio = goal / value, capped
// at 10 (below 0.1% a reading is mostly the clock tick's rounding).
// When tiny: half a second to settle, a 1 s window.
timeLimit({ full: 300, tiny: 120 })
const SETTLE_SECONDS = scaledEnv('IDLE_SETTLE_SECONDS', 15, 0.5)
const IDLE_SECONDS = scaledEnv('IDLE_SECONDS', 30, 1)
// When tiny, the real lane only: it runs every step the embedded one does and more.
const LANES = (process.env.IDLE_LANES || scaled('embedded,real', 'real')).split(',').filter(Boolean)
const GOAL_PERCENT = 1
const RATIO_CAP = 10

const sleep = (seconds: number) => new Promise((r) => setTimeout(r, seconds * 1000))
const percentOfCore = (cpuMs: number, seconds: number) => (100 * cpuMs) / (seconds * 1000)

/** The local TCP ports of `pid`'s sockets (from /proc/<pid>/fd and /proc/net/tcp{,6}). */
function localPorts(pid: number): Set<number> {
  const inodes = new Set<string>()
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
      if (match) inodes.add(match[1]!)
    } catch {}
  }
  const ports = new Set<number>()
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = ''
    try {
      text = readFileSync(table, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      if (cols.length > 9 && inodes.has(cols[9]!)) ports.add(Number.parseInt(cols[1]!.split(':')[1]!, 16))
    }
  }
  return ports
}

/** The server's own CPU over the idle window, after it settled. */
async function serverIdlePercent(pid: number): Promise<number> {
  waitingFor('the embedded server to settle and idle')
  await sleep(SETTLE_SECONDS)
  const before = processCpuMs(pid, { children: true })!
  await sleep(IDLE_SECONDS)
  const after = processCpuMs(pid, { children: true })!
  return percentOfCore(after - before, IDLE_SECONDS)
}

async function embeddedLane(): Promise<{ server_pct: number }> {
  const server = await startStratus()
  try {
    const pct = await serverIdlePercent(server.child.pid!)
    note(`embedded: server ${pct.toFixed(2)}% of a core`)
    return { server_pct: pct }
  } finally {
    await server.stop()
  }
}

/** CPU ms of each backend serving `database`, by pid. */
async function backendCpu(admin: pg.Client, database: string): Promise<Map<number, number>> {
  const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [
    database,
  ])
  const cpu = new Map<number, number>()
  for (const { pid } of rows) {
    const ms = processCpuMs(pid)
    if (ms !== undefined) cpu.set(pid, ms)
  }
  return cpu
}

async function committedTransactions(admin: pg.Client, database: string): Promise<number> {
  // Backends report their counters lazily: ask for a fresh snapshot each time.
  await admin.query('SELECT pg_stat_clear_snapshot()')
  const { rows } = await admin.query<{ n: string }>(
    'SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1',
    [database],
  )
  return Number(rows[0]?.n ?? 0)
}

/** Server-wide µs spent and calls made, per Redis command (INFO commandstats). */
async function commandStats(redis: Redis): Promise<Map<string, { calls: number; usec: number }>> {
  const stats = new Map<string, { calls: number; usec: number }>()
  for (const line of (await redis.info('commandstats')).split('\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line.trim())
    if (match) stats.set(match[1]!.toLowerCase(), { calls: Number(match[2]), usec: Number(match[3]) })
  }
  return stats
}

async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu')
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0)
  return field('used_cpu_user') + field('used_cpu_sys')
}

async function realLane(): Promise<Record<string, number>> {
  const database = await createBenchDatabase()
  const name = new URL(database.url).pathname.slice(1)
  const prefix = `bench_idle_${process.pid}`
  const admin = new pg.Client({ connectionString: BENCH_DATABASE_URL })
  await admin.connect()
  const redis = new Redis(BENCH_REDIS_URL)
  const monitorClient = new Redis(BENCH_REDIS_URL)
  const server = await startStratus({
    DATABASE_URL: database.url,
    REDIS_URL: BENCH_REDIS_URL,
    REDIS_PREFIX: prefix,
  })
  try {
    const pid = server.child.pid!
    waitingFor('the real-lane server to settle and idle')
    await sleep(SETTLE_SECONDS)
    const commands: { source: string; name: string }[] = []
    const monitor = await monitorClient.monitor()
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      commands.push({ source, name: String(args[0]).toLowerCase() })
    })
    const cpuBefore = processCpuMs(pid, { children: true })!
    const backendsBefore = await backendCpu(admin, name)
    const xactBefore = await committedTransactions(admin, name)
    const statsBefore = await commandStats(redis)
    const redisCpuBefore = await redisCpuSeconds(redis)
    await sleep(IDLE_SECONDS)
    const cpuAfter = processCpuMs(pid, { children: true })!
    const backendsAfter = await backendCpu(admin, name)
    const xactAfter = await committedTransactions(admin, name)
    const statsAfter = await commandStats(redis)
    const redisCpuAfter = await redisCpuSeconds(redis)
    monitor.disconnect()

    const serverPct = percentOfCore(cpuAfter - cpuBefore, IDLE_SECONDS)
    // Backends that ended inside the window are missing (their CPU is lost with them): counted apart.
    let backendMs = 0
    for (const [backend, ms] of backendsAfter) backendMs += ms - (backendsBefore.get(backend) ?? 0)
    const endedBackends = [...backendsBefore.keys()].filter((b) => !backendsAfter.has(b)).length
    const postgresPct = percentOfCore(backendMs, IDLE_SECONDS)
    const xactPerSecond = (xactAfter - xactBefore) / IDLE_SECONDS

    const ports = localPorts(pid)
    const ours = commands.filter((c) => ports.has(Number(c.source.split(':').pop())))
    const perCommand = new Map<string, number>()
    for (const c of ours) perCommand.set(c.name, (perCommand.get(c.name) ?? 0) + 1)
    let redisUsec = 0
    for (const [command, calls] of perCommand) {
      const after = statsAfter.get(command)
      const before = statsBefore.get(command) ?? { calls: 0, usec: 0 }
      if (after && after.calls > before.calls) {
        redisUsec += (calls * (after.usec - before.usec)) / (after.calls - before.calls)
      }
    }
    const redisPct = percentOfCore(redisUsec / 1000, IDLE_SECONDS)
    const redisServerPct = percentOfCore((redisCpuAfter - redisCpuBefore) * 1000, IDLE_SECONDS)
    const top = [...perCommand]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([command, calls]) => `${command} ${(calls / IDLE_SECONDS).toFixed(1)}/s`)
      .join(', ')
    note(`real: server ${serverPct.toFixed(2)}% of a core`)
    note(
      `real: postgres backends ${postgresPct.toFixed(2)}% (${backendsAfter.size} backends, ` +
        `${endedBackends} ended in the window), ${xactPerSecond.toFixed(1)} transactions/s`,
    )
    note(
      `real: redis ${(ours.length / IDLE_SECONDS).toFixed(1)} commands/s from the server (${top || 'none'}), ` +
        `~${redisPct.toFixed(3)}% of a core; whole Redis server (all clients) ${redisServerPct.toFixed(2)}%`,
    )
    return {
      server_pct: serverPct,
      postgres_pct: postgresPct,
      postgres_xact_per_s: xactPerSecond,
      redis_cmds_per_s: ours.length / IDLE_SECONDS,
      redis_pct: redisPct,
      redis_server_pct_all_clients: redisServerPct,
    }
  } finally {
    await server.stop()
    monitorClient.disconnect()
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      if (keys.length) await redis.del(...keys)
      cursor = next
    } while (cursor !== '0')
    redis.disconnect()
    await admin.end()
    await database.drop()
  }
}

const results: Record<string, Record<string, number>> = {}
if (LANES.includes('embedded')) results.embedded = await embeddedLane()
if (LANES.includes('real')) results.real = await realLane()
const worst = Math.max(...Object.values(results).map((r) => r.server_pct!))
report({
  name: 'idle',
  metric: 'idle server CPU, worse lane (% of one core)',
  value: worst,
  unit: '% of a core',
  baseline: GOAL_PERCENT,
  ratio: Math.min(RATIO_CAP, GOAL_PERCENT / Math.max(worst, 1e-9)),
  settle_s: SETTLE_SECONDS,
  window_s: IDLE_SECONDS,
  ...Object.fromEntries(
    Object.entries(results).flatMap(([lane, r]) => Object.entries(r).map(([k, v]) => [`${lane}_${k}`, v])),
  ),
})
