import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import autocannon from 'autocannon'
import { freePort } from '../support/ports.ts'
import { scaled, TINY } from './scale.ts'
import { onAbort, resultPrinted, trackChild, waitingFor } from './watchdog.ts'

export { BENCH_SCALE, scaled, scaledEnv, TINY } from './scale.ts'
export { fail, onAbort, timeLimit, trackChild, waitingFor } from './watchdog.ts'

/**
 * Shared pieces of the benchmarks. Every benchmark is a script `test/bench/<name>.bench.ts` whose last
 * stdout line is one JSON object {name, metric, value, unit, baseline, ratio, …}; `ratio` is "higher is
 * better" against a baseline measured in the same run. Servers run in child processes; the load
 * generator runs here.
 */

export const ROOT = path.resolve(import.meta.dirname, '../..')

/** Real services for benchmarks that need them (defaults: the local Postgres and Redis). */
export const BENCH_DATABASE_URL =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
export const BENCH_REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** Seconds each measured phase lasts: 8, or 1 when tiny (BENCH_SECONDS overrides, e.g. for a quick check). */
export const PHASE_SECONDS = Number(process.env.BENCH_SECONDS || scaled(8, 1))

/** The final line of a benchmark. */
export interface BenchResult {
  name: string
  metric: string
  value: number
  unit: string
  baseline: number
  ratio: number
  [extra: string]: unknown
}

/** Prints the result as the last stdout line. */
export function report(result: BenchResult): void {
  const round = (n: unknown) => (typeof n === 'number' ? Math.round(n * 1000) / 1000 : n)
  const out = Object.fromEntries(Object.entries(result).map(([k, v]) => [k, round(v)]))
  process.stdout.write(`${JSON.stringify(out)}\n`)
  resultPrinted()
}

/** Human-readable progress on stderr, so stdout stays machine-readable. */
export function note(message: string): void {
  process.stderr.write(`  ${message}\n`)
}

/** A process serving HTTP for a benchmark. */
export interface ServerProcess {
  url: string
  child: ChildProcess
  /** stdout collected so far (e.g. the service key printed at first start). */
  output(): string
  stop(): Promise<void>
}

/** Spawns `node --import tsx <script> …args` with `env` and waits until GET `readyPath` answers 200. */
export async function spawnServer(
  script: string,
  args: string[],
  env: Record<string, string>,
  options: { readyPath?: string; port?: number } = {},
): Promise<ServerProcess> {
  const port = options.port ?? (await freePort())
  let out = ''
  // BENCH_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) profiles the server, not the load.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  trackChild(child)
  waitingFor(`${script} ${args.join(' ')} to answer ${options.readyPath ?? '/health'}`)
  child.stdout?.on('data', (chunk) => {
    out += chunk
  })
  child.stderr?.on('data', (chunk) => {
    out += chunk
  })
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early (${child.exitCode}):\n${out}`)
    try {
      const res = await fetch(`${url}${options.readyPath ?? '/health'}`)
      if (res.ok) break
    } catch {}
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`server did not become ready:\n${out}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    url,
    child,
    output: () => out,
    stop: () => stopChild(child),
  }
}

/** A `stratus start --role worker` process (no HTTP to wait for); its stderr passes through. */
export function spawnWorker(env: Record<string, string>): ChildProcess & { stop(): Promise<void> } {
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)
  const child = spawn(process.execPath, [...nodeArgs, 'bin/stratus.mjs', 'start', '--role', 'worker'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  trackChild(child)
  return Object.assign(child, { stop: () => stopChild(child) })
}

/** SIGTERM, then SIGKILL after 15 s; resolves when the child has exited. */
function stopChild(child: ChildProcess): Promise<void> {
  waitingFor(`process ${child.pid} (${child.spawnargs.slice(1).join(' ')}) to stop`)
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
    setTimeout(() => child.kill('SIGKILL'), 15_000).unref()
  })
}

/** Starts `stratus start` on a fresh embedded data directory (plus `env`), returning it and its service key. */
export async function startStratus(
  env: Record<string, string> = {},
  role = 'all',
): Promise<ServerProcess & { serviceKey: string; dataDir: string }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'stratus-bench-'))
  if (!env.DATABASE_URL) {
    // The embedded database lives in <dataDir>/db. A copy of the migrated PGlite template (the tests'
    // own) starts in a fraction of the time a new one takes to initialise and migrate; what is measured
    // starts after the server answers, so only the wait changes.
    const { copyPgliteTemplate } = await import('../support/databases.ts')
    renameSync(await copyPgliteTemplate(), path.join(dataDir, 'db'))
  }
  const forget = onAbort(() => rmSync(dataDir, { recursive: true, force: true }))
  const server = await spawnServer('bin/stratus.mjs', ['start', '--role', role], {
    STRATUS_DATA_DIR: dataDir,
    ...env,
  })
  const key = /Service key[^\n]*\n(\S+)/.exec(server.output())?.[1] ?? ''
  return {
    ...server,
    serviceKey: key,
    dataDir,
    stop: async () => {
      await server.stop()
      rmSync(dataDir, { recursive: true, force: true })
      forget()
    },
  }
}

/** Throughput and latency of one HTTP load phase. */
export interface HttpLoad {
  rps: number
  p50: number
  p99: number
  errors: number
  non2xx: number
}

/** A URL to load and how to call it. */
export interface HttpTarget {
  url: string
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  headers?: Record<string, string>
  body?: string
}

/**
 * One autocannon run against `target` for `seconds`, with `connections` (default 32) and no pipelining.
 * When tiny, TINY_REQUESTS requests instead of a time: a phase at full load costs both cores for its
 * whole length, and a tiny run only has to show that the path answers.
 */
function loadFor(target: HttpTarget, seconds: number, connections = 32): Promise<autocannon.Result> {
  return autocannon({
    url: target.url,
    method: target.method ?? 'GET',
    headers: target.headers,
    body: target.body,
    connections: TINY ? Math.min(connections, 8) : connections,
    pipelining: 1,
    ...(TINY ? { amount: TINY_REQUESTS } : { duration: seconds }),
  })
}

/** Requests per load phase when tiny. */
export const TINY_REQUESTS = 200

/** Requests per second over a whole autocannon run (its duration is in seconds, to 10 ms). */
export function requestsPerSecond(result: autocannon.Result): number {
  return result.requests.total / Math.max(result.duration, 0.01)
}

/** Runs autocannon against one URL for PHASE_SECONDS (after a short warm-up; none when tiny). */
export async function loadHttp(
  url: string,
  options: Omit<HttpTarget, 'url'> & { connections?: number; seconds?: number; warmupSeconds?: number } = {},
): Promise<HttpLoad> {
  const target = { ...options, url }
  waitingFor(`HTTP load on ${options.method ?? 'GET'} ${url}`)
  const warmup = options.warmupSeconds ?? scaled(1, 0)
  if (warmup > 0) await loadFor(target, warmup, options.connections)
  const result = await loadFor(target, options.seconds ?? PHASE_SECONDS, options.connections)
  return {
    // Over the whole phase: autocannon's per-second average has no sample in a phase under a second.
    rps: requestsPerSecond(result),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  }
}

/** What `loadHttpAlternating` measured of one target: totals over its slices, medians of slice latency. */
export interface AlternatingLoad extends HttpLoad {
  /** Requests/s of each slice, in round order (to pair with the other targets' slices). */
  sliceRps: number[]
  /** Requests answered in its slices. */
  requests: number
  /** CPU ms its server spent during its slices, when `cpuOf` was given. */
  cpuMs?: number
}

/**
 * Loads each target in turn for `sliceSeconds`, round after round (after a 1 s warm-up each; when tiny,
 * one round of half-second slices and no warm-up), with the
 * same connections: these machines' speed drifts within seconds, and back-to-back phases let one side
 * gain from a quieter moment. `rps` is a target's requests over its slices' time; p50/p99 are the
 * medians of its slices'.
 */
export async function loadHttpAlternating(
  targets: readonly HttpTarget[],
  options: {
    rounds?: number
    sliceSeconds?: number
    connections?: number
    /** The CPU ms so far of target i's server (see processCpuMs), read around each of its slices. */
    cpuOf?: (i: number) => number | undefined
  } = {},
): Promise<AlternatingLoad[]> {
  const sliceSeconds = options.sliceSeconds ?? scaled(1, 0.5)
  const rounds = options.rounds ?? scaled(Math.max(2, Math.round(PHASE_SECONDS / sliceSeconds)), 1)
  waitingFor(`alternating HTTP load on ${targets.map((t) => t.url).join(', ')}`)
  if (!TINY) for (const target of targets) await loadFor(target, 1, options.connections)
  const slices = targets.map(() => [] as autocannon.Result[])
  const cpuMs = targets.map(() => 0)
  for (let round = 0; round < rounds; round++) {
    for (const [i, target] of targets.entries()) {
      const cpuBefore = options.cpuOf?.(i)
      slices[i]!.push(await loadFor(target, sliceSeconds, options.connections))
      const cpuAfter = options.cpuOf?.(i)
      if (cpuBefore !== undefined && cpuAfter !== undefined) cpuMs[i]! += cpuAfter - cpuBefore
    }
  }
  return slices.map((results, i) => {
    const requests = results.reduce((sum, r) => sum + r.requests.total, 0)
    return {
      requests,
      ...(options.cpuOf ? { cpuMs: cpuMs[i]! } : {}),
      rps:
        requests /
        Math.max(
          results.reduce((sum, r) => sum + r.duration, 0),
          0.01,
        ),
      p50: percentile(
        results.map((r) => r.latency.p50),
        50,
      ),
      p99: percentile(
        results.map((r) => r.latency.p99),
        50,
      ),
      errors: results.reduce((sum, r) => sum + r.errors + r.timeouts, 0),
      non2xx: results.reduce((sum, r) => sum + r.non2xx, 0),
      sliceRps: results.map(requestsPerSecond),
    }
  })
}

/** The p-th percentile (0-100) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

/** A new, migrated PostgreSQL database on BENCH_DATABASE_URL's server, dropped by `drop`. */
export async function createBenchDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const pg = (await import('pg')).default
  const { PgDatabase } = await import('../../services/db/pg-database.ts')
  const { migrate } = await import('../../services/db/migrate.ts')
  const name = `stratus_bench_${process.pid}_${Date.now().toString(36)}`
  waitingFor(`creating and migrating the database ${name}`)
  const admin = new pg.Client({ connectionString: BENCH_DATABASE_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const drop = async () => {
    const c = new pg.Client({ connectionString: BENCH_DATABASE_URL })
    await c.connect()
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await c.end()
  }
  const forget = onAbort(drop)
  const url = new URL(BENCH_DATABASE_URL)
  url.pathname = `/${name}`
  const db = new PgDatabase({ url: url.toString(), poolSize: 2 })
  await migrate(db)
  await db.close()
  return {
    url: url.toString(),
    drop: async () => {
      forget()
      waitingFor(`dropping the database ${name}`)
      await drop()
    },
  }
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` at once. */
export async function runConcurrently(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await task(next++)
    }),
  )
}

/** Runs `task(i)` at `perSecond` for `seconds`, without waiting for one call to finish before the next. */
export async function runPaced(
  perSecond: number,
  seconds: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  const total = Math.round(perSecond * seconds)
  const start = performance.now()
  const pending: Promise<void>[] = []
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / perSecond
    const wait = due - performance.now()
    if (wait > 1) await new Promise((r) => setTimeout(r, wait))
    pending.push(task(i))
  }
  await Promise.all(pending)
}

/**
 * The baseline of the event benchmarks: events/s of raw BullMQ add (with `concurrency` producers) +
 * process (one worker, concurrency 1) of `count` events made by `event(i)`, on a fresh queue, after
 * `warmup` events not counted.
 */
export async function rawBullmqRate(
  prefix: string,
  count: number,
  concurrency: number,
  event: (i: number) => { id: string; type: string },
  warmup = 0,
): Promise<number> {
  const { Queue, Worker } = await import('bullmq')
  const { Redis } = await import('ioredis')
  const connection = new Redis(BENCH_REDIS_URL, { maxRetriesPerRequest: null })
  // BullMQ never closes a connection it was handed: left open, this one kept the bench process alive
  // after its result line (the bench "hung").
  const workerConnection = connection.duplicate()
  const queue = new Queue('baseline', { connection, prefix })
  let done = 0
  let target = 0
  let finish: () => void = () => {}
  let finished = Promise.resolve()
  // Resolves at once when `n` jobs are already done: with no warm-up, waiting for the 0th job (which
  // never comes) hung the `outbox` bench.
  const expect = (n: number) => {
    target = n
    finished =
      done >= n
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            finish = resolve
          })
  }
  const worker = new Worker(
    'baseline',
    async () => {
      if (++done === target) finish()
    },
    { connection: workerConnection, prefix, concurrency: 1 },
  )
  const forget = onAbort(() => queue.obliterate({ force: true }))
  waitingFor('the raw BullMQ worker to connect')
  await worker.waitUntilReady()
  const add = async (i: number) => {
    const payload = event(i)
    await queue.add(payload.type, payload, { jobId: payload.id, removeOnComplete: { count: 10_000 } })
  }
  waitingFor(() => `the raw BullMQ baseline: ${done} of ${target} jobs processed`)
  // Warmed up as the measured side is, so that neither pays for its JIT in the ratio.
  expect(warmup)
  await runConcurrently(warmup, concurrency, (i) => add(-1 - i))
  await finished
  expect(warmup + count)
  const start = performance.now()
  await runConcurrently(count, concurrency, add)
  await finished
  waitingFor('the raw BullMQ baseline queue to be removed')
  const rate = count / ((performance.now() - start) / 1000)
  await worker.close()
  await queue.obliterate({ force: true })
  forget()
  await queue.close()
  workerConnection.disconnect()
  connection.disconnect()
  return rate
}

/**
 * CPU time (user + system, ms) a process has used so far, from /proc (Linux); undefined elsewhere.
 * A bench reads it around a phase to report CPU per operation, which drifts less than rates on a
 * shared machine. `children` adds the time of its children it has waited for.
 */
export function processCpuMs(
  pid: number | undefined,
  options: { children?: boolean } = {},
): number | undefined {
  if (pid === undefined) return undefined
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const own = Number(fields[11]) + Number(fields[12])
    const children = options.children ? Number(fields[13]) + Number(fields[14]) : 0
    return ((own + children) * 1000) / CLOCK_TICKS_PER_SECOND
  } catch {
    return undefined
  }
}

/** USER_HZ: 100 on every Linux the benches run on (`getconf CLK_TCK`). */
const CLOCK_TICKS_PER_SECOND = 100

/** The pids of the processes whose command name (/proc/<pid>/comm) is `comm`, e.g. `postgres`. */
export function pidsNamed(comm: string): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) pids.push(Number(entry))
    } catch {
      // Gone since the listing.
    }
  }
  return pids
}

/**
 * CPU ms used so far by every process named `comm`, counting the children each has waited for: a
 * PostgreSQL backend that ends inside a phase is waited for by the postmaster, so its time stays in
 * the sum. Compare two readings over the same phase.
 */
export function cpuOfProcessesNamed(comm: string): number {
  let total = 0
  for (const pid of pidsNamed(comm)) total += processCpuMs(pid, { children: true }) ?? 0
  return total
}

/**
 * A reading of the CPU ms each PostgreSQL backend serving `database` has used (for one client only
 * when `applicationName` is given), from /proc. `backendCpuBetween` of two readings is what those
 * backends spent in between. Unlike `cpuOfProcessesNamed('postgres')`, other databases' work and the
 * time of backends that exit meanwhile (the postmaster collects it) stay out; a pool's connections
 * live across a phase, so its backends are in both readings.
 */
export async function readBackendCpu(
  admin: { query(text: string, params: unknown[]): Promise<{ rows: { pid: number }[] }> },
  database: string,
  applicationName?: string,
): Promise<Map<number, number>> {
  const { rows } = await admin.query(
    'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND ($2::text IS NULL OR application_name = $2)',
    [database, applicationName ?? null],
  )
  const cpu = new Map<number, number>()
  for (const { pid } of rows) cpu.set(pid, processCpuMs(pid) ?? 0)
  return cpu
}

/** CPU ms the backends of `after` used since `before` (see `readBackendCpu`). */
export function backendCpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let ms = 0
  for (const [pid, total] of after) ms += total - (before.get(pid) ?? 0)
  return ms
}

/** Deletes every Redis key under `prefix` (a bench's own bus and queues). */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const { Redis } = await import('ioredis')
  const redis = new Redis(BENCH_REDIS_URL)
  try {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      if (keys.length) await redis.del(...keys)
      cursor = next
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
}

/** Busy and total jiffies of the whole machine (/proc/stat). */
function machineJiffies(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
  const total = cpu.reduce((a, b) => a + b, 0)
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0)
  return { busy: total - idle, total }
}

/**
 * Starts measuring how busy the whole machine is (every process, every core); the returned function
 * gives the busy share in percent since then. Benches whose figure depends on the machine's load say
 * how loaded it was with it.
 */
export function machineBusy(): () => number {
  const start = machineJiffies()
  return () => {
    const now = machineJiffies()
    return (100 * (now.busy - start.busy)) / Math.max(1, now.total - start.total)
  }
}
