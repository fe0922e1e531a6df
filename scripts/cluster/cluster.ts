// The production topology of infra/ on one machine: PostgreSQL, Redis (AOF on) and S3 of its own,
// `api` ×N and `worker` ×M Stratus processes, and HAProxy in front of the api nodes. Used by
// `npm run cluster` (main.ts), the chaos workload and test/cluster.
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Redis } from 'ioredis'
import pg from 'pg'
import { CONFIG_VARIABLES } from '../../services/core/config.ts'
import { freePort } from '../../test/support/ports.ts'
import { ensureSystemAccount, workerAccountName } from './accounts.ts'
import { readStratusEnv } from './env-file.ts'
import { readHaproxyTemplate, renderHaproxyConfig } from './haproxy.ts'
import { ManagedProcess, type ProcessSpec } from './process.ts'

export interface ClusterNode {
  /** api-1, api-2, …, worker-1, … */
  name: string
  role: 'api' | 'worker'
  pid(): number | undefined
  /** Default SIGTERM (a graceful drain); SIGKILL for a crash. Resolves once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>
  /** Starts it again after a kill; resolves when /ready answers 200 (api) or the worker logs that it runs. */
  start(): Promise<void>
  /** The node's own address (api nodes only), bypassing the balancer. */
  url?: string
  /** The uid it runs under, when it has one of its own (`workerAccounts`). */
  uid?: number
}

export interface ClusterService {
  port: number
  url: string
  pid(): number | undefined
  /** Default: the server's own clean stop (PostgreSQL: SIGINT, a fast shutdown; others SIGTERM). */
  kill(signal?: NodeJS.Signals): Promise<void>
  /** Starts it again after a kill, on the same port and data; resolves when it answers. */
  start(): Promise<void>
  restart(): Promise<void>
}

export interface Cluster {
  /** The HAProxy front: every request of a client goes here. */
  url: string
  serviceKey: string
  nodes: ClusterNode[]
  postgres: ClusterService
  /** `flush()` empties it (FLUSHALL), as a failover to an empty replica would. */
  redis: ClusterService & { flush(): Promise<void> }
  s3: ClusterService
  /** HAProxy itself (its stats page is `url`). */
  balancer: ClusterService
  /** What every Stratus node gets (PORT aside): infra/env/stratus.env plus the cluster's own servers. */
  env: Record<string, string>
  /** The folder holding the data of every server (removed by stop()). */
  dir: string
  /** Stops everything it started (nodes first, then the balancer and the servers) and removes `dir`. */
  stop(): Promise<void>
}

export interface ClusterOptions {
  apiNodes?: number
  workerNodes?: number
  /** A temporary folder is made under it (default: the system's temporary folder). */
  dir?: string
  /** Ports from here on (front, stats, postgres, redis, s3, then api nodes from basePort+10); default: free ones. */
  basePort?: number
  /** Added to (and overriding) every Stratus node's environment. */
  env?: Record<string, string>
  /** Every output line of every process, prefixed with its name. Default: discarded. */
  log?: (line: string) => void
  /**
   * Run each worker node under a system account of its own (stratus-chaos-1, -2, …, created when
   * missing; needs root), so a fault can single it out by uid. Default: as this process.
   */
  workerAccounts?: boolean
}

const ROOT = path.resolve(import.meta.dirname, '../..')
const STRATUS_BIN = path.join(ROOT, 'bin', 'stratus.mjs')
const S3_MAIN = path.join(import.meta.dirname, 's3-main.ts')
const S3_ACCESS = 'S3RVER'
const START_TIMEOUT_MS = 120_000

/** A PostgreSQL server program: /usr/local/bin, then the newest /usr/lib/postgresql/<version>/bin. */
function postgresBinary(name: string): string {
  const candidates = [path.join('/usr/local/bin', name)]
  const lib = '/usr/lib/postgresql'
  if (existsSync(lib)) {
    const versions = readdirSync(lib).sort((a, b) => Number(b) - Number(a))
    for (const version of versions) candidates.push(path.join(lib, version, 'bin', name))
  }
  const found = candidates.find((file) => existsSync(file))
  if (!found) throw new Error(`PostgreSQL's ${name} was not found (looked in ${candidates.join(', ')})`)
  return found
}

/** PostgreSQL refuses to run as root: as root, run it as the `postgres` account. */
function postgresAccount(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('postgres:'))
  if (!line) throw new Error('running as root, and there is no postgres account to run PostgreSQL as')
  const [, , uid, gid] = line.split(':')
  return { uid: Number(uid), gid: Number(gid) }
}

/** Environment of the parent without any Stratus setting, so a developer's shell cannot leak into a node. */
function baseEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of CONFIG_VARIABLES) delete env[name]
  for (const name of Object.keys(env)) if (name.startsWith('RATE_LIMIT_')) delete env[name]
  return env
}

async function postgresAnswers(port: number): Promise<boolean> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    database: 'postgres',
    connectionTimeoutMillis: 1000,
  })
  try {
    await client.connect()
    await client.query('SELECT 1')
    return true
  } finally {
    await client.end().catch(() => undefined)
  }
}

async function redisAnswers(port: number): Promise<boolean> {
  const redis = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  })
  // A refused connection while it starts is the answer "not yet", not an error to print.
  redis.on('error', () => undefined)
  try {
    await redis.connect()
    return (await redis.ping()) === 'PONG'
  } finally {
    redis.disconnect()
  }
}

async function answers200(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2000) })
  await response.body?.cancel()
  return response.status === 200
}

/** What compose sets in `environment` and Kubernetes in the Secret: where the servers are, and secrets. */
export const CONNECTION_VARIABLES = [
  'DATABASE_URL',
  'REDIS_URL',
  'S3_ENDPOINT',
  'S3_ACCESS_KEY',
  'S3_SECRET_KEY',
  'AUTH_ENCRYPTION_KEY',
] as const
export type Connections = Record<(typeof CONNECTION_VARIABLES)[number], string>

/** The variables of the env file the cluster overrides, because its nodes share one host. */
export const HOST_OVERRIDES = ['HOST', 'PORT'] as const

/**
 * Every Stratus node's environment (its own PORT aside): infra/env/stratus.env as it is, but for
 * loopback instead of every interface; the cluster's servers; and the caller's additions last.
 */
export function clusterEnvironment(
  fileEnv: Record<string, string>,
  connections: Connections,
  extra: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = {
    ...fileEnv,
    HOST: '127.0.0.1',
    ...connections,
    LOG_FORMAT: 'json',
    ...extra,
  }
  delete env.PORT
  return env
}

interface Ports {
  front: number
  stats: number
  postgres: number
  redis: number
  s3: number
  api: number[]
}

async function choosePorts(apiNodes: number, basePort?: number): Promise<Ports> {
  if (basePort !== undefined) {
    return {
      front: basePort,
      stats: basePort + 1,
      postgres: basePort + 2,
      redis: basePort + 3,
      s3: basePort + 4,
      api: Array.from({ length: apiNodes }, (_, index) => basePort + 10 + index),
    }
  }
  // Held open together so the kernel hands out distinct ones.
  const ports: number[] = []
  while (ports.length < 5 + apiNodes) {
    const port = await freePort()
    if (!ports.includes(port)) ports.push(port)
  }
  const [front, stats, postgres, redis, s3, ...api] = ports as [
    number,
    number,
    number,
    number,
    number,
    ...number[],
  ]
  return { front, stats, postgres, redis, s3, api }
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const apiNodes = options.apiNodes ?? 2
  const workerNodes = options.workerNodes ?? 2
  if (apiNodes < 1 || workerNodes < 0) throw new Error('a cluster needs at least one api node')
  const log = options.log ?? (() => undefined)
  // A worker serves no HTTP: it is known to run by its info line "stratus worker is running".
  if (['warn', 'error', 'fatal', 'silent'].includes(options.env?.LOG_LEVEL ?? ''))
    throw new Error(
      "the cluster reads the workers' info lines to know they run: LOG_LEVEL must be info or lower",
    )
  const parent = options.dir ?? os.tmpdir()
  mkdirSync(parent, { recursive: true })
  const dir = mkdtempSync(path.join(parent, 'stratus-cluster-'))
  const ports = await choosePorts(apiNodes, options.basePort)
  if (options.workerAccounts && process.getuid?.() !== 0)
    throw new Error('workerAccounts needs root (it creates and runs as system accounts)')
  const workerAccounts = options.workerAccounts
    ? Array.from({ length: workerNodes }, (_, index) => ensureSystemAccount(workerAccountName(index)))
    : []
  if ([ports.postgres, ports.redis].some((port) => port === 5432 || port === 6379))
    throw new Error('the cluster never uses the shared PostgreSQL (5432) or Redis (6379) ports')

  const processes: ManagedProcess[] = []
  const managed = (spec: ProcessSpec) => {
    const child = new ManagedProcess(spec, log)
    processes.push(child)
    return child
  }
  // Whatever happens to this process, its servers do not outlive it.
  const killAll = () => {
    for (const child of processes) child.killNow()
  }
  process.once('exit', killAll)

  let stopped = false
  let nodes: Array<ClusterNode & { process: ManagedProcess }> = []
  let balancerProcess: ManagedProcess | undefined
  const services: ManagedProcess[] = []
  const stop = async () => {
    if (stopped) return
    stopped = true
    await balancerProcess?.kill()
    await Promise.all(nodes.map((node) => node.process.kill()))
    await Promise.all(services.map((service) => service.kill()))
    // Anything not yet tracked by a node or service (a start that failed half-way).
    await Promise.all(processes.map((child) => child.kill('SIGKILL')))
    process.removeListener('exit', killAll)
    rmSync(dir, { recursive: true, force: true })
  }

  try {
    // As `npm start` does (prestart): the nodes run the compiled server when dist/ is fresh.
    const build = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'build.mjs'), '--if-stale'], {
      cwd: ROOT,
      encoding: 'utf8',
    })
    if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`)

    // PostgreSQL: its own data folder, TCP on loopback only, no socket file.
    const account = postgresAccount()
    const pgData = path.join(dir, 'postgres')
    mkdirSync(pgData, { mode: 0o700 })
    if (account) {
      chmodSync(dir, 0o755)
      chownSync(pgData, account.uid, account.gid)
    }
    const initdb = spawnSync(
      postgresBinary('initdb'),
      ['-D', pgData, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
      { encoding: 'utf8', uid: account?.uid, gid: account?.gid, env: { ...process.env, LC_ALL: 'C' } },
    )
    if (initdb.status !== 0) throw new Error(`initdb failed:\n${initdb.stdout}${initdb.stderr}`)
    const postgres = managed({
      name: 'postgres',
      command: postgresBinary('postgres'),
      args: [
        '-D',
        pgData,
        '-p',
        String(ports.postgres),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'max_connections=300',
        // Restarts and kills of the server keep what the OS has cached; only a machine crash would not.
        '-c',
        'fsync=off',
        '-c',
        'full_page_writes=off',
      ],
      uid: account?.uid,
      gid: account?.gid,
      env: { ...process.env, LC_ALL: 'C' },
      stopSignal: 'SIGINT',
    })
    const redisDir = path.join(dir, 'redis')
    mkdirSync(redisDir)
    const redis = managed({
      name: 'redis',
      command: 'redis-server',
      args: [
        '--port',
        String(ports.redis),
        '--bind',
        '127.0.0.1',
        '--dir',
        redisDir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'everysec',
        '--save',
        '',
        '--daemonize',
        'no',
      ],
    })
    const s3Dir = path.join(dir, 's3')
    mkdirSync(s3Dir)
    const stratusEnv = readStratusEnv()
    const bucket = stratusEnv.S3_BUCKET ?? 'stratus'
    const s3 = managed({
      name: 's3',
      command: process.execPath,
      args: ['--import', 'tsx', S3_MAIN, String(ports.s3), s3Dir, bucket],
      cwd: ROOT,
      env: baseEnvironment(),
    })
    services.push(s3, redis, postgres)

    const serviceOf = (
      child: ManagedProcess,
      port: number,
      url: string,
      ready: () => Promise<boolean>,
    ): ClusterService => {
      const start = async () => {
        if (!child.running()) child.spawn()
        await child.waitUntil(ready, START_TIMEOUT_MS, `answer on port ${port}`)
      }
      return {
        port,
        url,
        pid: () => child.pid(),
        kill: (signal) => child.kill(signal),
        start,
        restart: async () => {
          await child.kill()
          await start()
        },
      }
    }
    const postgresService = serviceOf(
      postgres,
      ports.postgres,
      `postgres://postgres@127.0.0.1:${ports.postgres}/postgres`,
      () => postgresAnswers(ports.postgres),
    )
    const redisUrl = `redis://127.0.0.1:${ports.redis}`
    const redisService = {
      ...serviceOf(redis, ports.redis, redisUrl, () => redisAnswers(ports.redis)),
      flush: async () => {
        const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 })
        try {
          await client.flushall()
        } finally {
          client.disconnect()
        }
      },
    }
    const s3Url = `http://127.0.0.1:${ports.s3}`
    const s3Service = serviceOf(s3, ports.s3, s3Url, async () => {
      const response = await fetch(`${s3Url}/`, { signal: AbortSignal.timeout(2000) })
      await response.body?.cancel()
      return response.status < 500
    })
    await Promise.all([postgresService.start(), redisService.start(), s3Service.start()])

    const env = clusterEnvironment(
      stratusEnv,
      {
        DATABASE_URL: postgresService.url,
        REDIS_URL: redisUrl,
        S3_ENDPOINT: s3Url,
        S3_ACCESS_KEY: S3_ACCESS,
        S3_SECRET_KEY: S3_ACCESS,
        // Identical on every node (secrets stored by one node are read by another).
        AUTH_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      },
      options.env,
    )

    const makeNode = (role: 'api' | 'worker', index: number): ClusterNode & { process: ManagedProcess } => {
      const name = `${role}-${index + 1}`
      const dataDir = path.join(dir, name)
      mkdirSync(dataDir)
      const account = role === 'worker' ? workerAccounts[index] : undefined
      // Its data folder is its own; the repository and the cluster folder it only reads.
      if (account) {
        chmodSync(dir, 0o755)
        chownSync(dataDir, account.uid, account.gid)
      }
      const port = role === 'api' ? ports.api[index] : undefined
      const child = managed({
        name,
        command: process.execPath,
        args: [STRATUS_BIN, 'start', '--role', role],
        cwd: ROOT,
        env: {
          ...baseEnvironment(),
          ...env,
          STRATUS_DATA_DIR: dataDir,
          ...(port ? { PORT: String(port) } : {}),
          ...(account ? { HOME: dataDir } : {}),
        },
        uid: account?.uid,
        gid: account?.gid,
        stopTimeoutMs: 30_000,
      })
      const url = port ? `http://127.0.0.1:${port}` : undefined
      return {
        name,
        role,
        url,
        uid: account?.uid,
        process: child,
        pid: () => child.pid(),
        kill: (signal) => child.kill(signal),
        start: async () => {
          if (!child.running()) child.spawn()
          if (url) await child.waitUntil(() => answers200(`${url}/ready`), START_TIMEOUT_MS, 'ready')
          else await child.waitForLine(/stratus worker is running/, START_TIMEOUT_MS)
        },
      }
    }
    nodes = [
      ...Array.from({ length: apiNodes }, (_, index) => makeNode('api', index)),
      ...Array.from({ length: workerNodes }, (_, index) => makeNode('worker', index)),
    ]
    // The first node migrates and creates the project's keys alone; the others then start together.
    const [first, ...rest] = nodes
    await first?.start()
    await Promise.all(rest.map((node) => node.start()))

    const keys = spawnSync(process.execPath, [STRATUS_BIN, 'keys', '--json'], {
      cwd: ROOT,
      env: { ...baseEnvironment(), ...env },
      encoding: 'utf8',
    })
    if (keys.status !== 0) throw new Error(`stratus keys failed:\n${keys.stdout}${keys.stderr}`)
    const serviceKey = (JSON.parse(keys.stdout) as { service: string }).service

    const haproxyConfig = path.join(dir, 'haproxy.cfg')
    writeFileSync(
      haproxyConfig,
      renderHaproxyConfig(readHaproxyTemplate(), {
        front: ports.front,
        stats: ports.stats,
        servers: ports.api.map((port) => ({ host: '127.0.0.1', port })),
      }),
    )
    const balancer = managed({
      name: 'haproxy',
      command: 'haproxy',
      args: ['-db', '-f', haproxyConfig],
      stopTimeoutMs: 5000,
    })
    balancerProcess = balancer
    const url = `http://127.0.0.1:${ports.front}`
    const balancerService = serviceOf(balancer, ports.front, `http://127.0.0.1:${ports.stats}/stats`, () =>
      answers200(`${url}/ready`),
    )
    await balancerService.start()

    return {
      url,
      serviceKey,
      nodes: nodes.map(({ process: _process, ...node }) => node),
      postgres: postgresService,
      redis: redisService,
      s3: s3Service,
      balancer: balancerService,
      env,
      dir,
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}
