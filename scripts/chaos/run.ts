/**
 * `npm run chaos [-- --minutes N]`: starts the cluster, deploys the workload's functions, runs the
 * workload while the injector acts, waits for quiescence, then checks the invariants against the
 * cluster's own PostgreSQL. Prints the table, then (last line) API.md's JSON; exits 0 only when every
 * invariant holds. Progress goes to stderr.
 */
import { createWriteStream } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { createClient } from '@stratus/sdk'
import { type Cluster, startCluster } from '../cluster/cluster.ts'
import { deployWorkload } from './functions.ts'
import { checkInvariants, FAULT_KINDS, type FaultKind, type FaultRecord, renderTable } from './invariants.ts'
import { Observer } from './observer.ts'
import { healOnExit, partitionUnavailable, sweepRules } from './partition.ts'
import { sleep } from './retry.ts'
import { runFaults } from './schedule.ts'
import { collectRecords, waitForQuiescence } from './verdict.ts'
import { Workload } from './workload.ts'

/** The cluster's reconciler runs faster than by default so a lost Redis is made good within the bound. */
const RECONCILE_INTERVAL_MS = 1000
const RECONCILE_GRACE_MS = 5000
/** API.md/issue 17: back to 0 within 10 s after the faults, plus what the reconciler waits by design. */
const DRAIN_BOUND_SECONDS = 10 + (RECONCILE_GRACE_MS + RECONCILE_INTERVAL_MS) / 1000
/**
 * A delivery a killed worker held runs elsewhere once its lock lapses and a stalled check notices:
 * up to twice FUNCTIONS_JOB_LOCK_MS (30 s by default), then the reconciler's grace, then the drain.
 */
const SETTLE_BOUND_SECONDS = 2 * 30 + DRAIN_BOUND_SECONDS
const FAULT_SLACK_SECONDS = 5

function options() {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '2' },
      'per-kind': { type: 'string' },
      users: { type: 'string', default: '3' },
      shards: { type: 'string', default: '2' },
      'write-every-ms': { type: 'string', default: '800' },
      /** Also print every line of every cluster process on stderr (they always go to a file). */
      verbose: { type: 'boolean', default: false },
      /** KEY=VALUE for every Stratus node, over the chaos defaults (e.g. to run at other settings). */
      env: { type: 'string', multiple: true, default: [] },
      /** Only these fault kinds, comma-separated (default: every kind). */
      faults: { type: 'string' },
    },
  })
  const minutes = Number(values.minutes)
  if (!(minutes > 0 && minutes <= 24 * 60)) throw new Error('--minutes must be a number of minutes above 0')
  const perKind = values['per-kind'] ? Number(values['per-kind']) : Math.max(1, Math.floor(minutes / 2.5))
  return {
    minutes,
    perKind,
    users: Number(values.users),
    shards: Number(values.shards),
    writeEveryMs: Number(values['write-every-ms']),
    verbose: values.verbose === true,
    kinds: faultKinds(values.faults),
    env: Object.fromEntries(
      (values.env ?? []).map((pair) => {
        const at = pair.indexOf('=')
        if (at < 1) throw new Error(`--env takes KEY=VALUE, not ${pair}`)
        return [pair.slice(0, at), pair.slice(at + 1)]
      }),
    ),
  }
}

function faultKinds(list: string | undefined): FaultKind[] {
  if (list === undefined) return [...FAULT_KINDS]
  const kinds = list.split(',').map((kind) => kind.trim())
  const unknown = kinds.filter((kind) => !(FAULT_KINDS as readonly string[]).includes(kind))
  if (unknown.length > 0)
    throw new Error(`--faults: unknown kind(s) ${unknown.join(', ')}; kinds: ${FAULT_KINDS.join(', ')}`)
  return kinds as FaultKind[]
}

const log = (line: string) =>
  process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}\n`)

async function main(): Promise<number> {
  const settings = options()
  if (settings.kinds.includes('worker-partition')) {
    const why = partitionUnavailable()
    if (why) {
      log(`skipping worker-partition: ${why}`)
      settings.kinds = settings.kinds.filter((kind) => kind !== 'worker-partition')
      if (settings.kinds.length === 0) throw new Error('--faults: no fault kind left to inject')
    } else {
      const stale = sweepRules()
      if (stale > 0) log(`removed ${stale} partition rule(s) a previous run left in iptables`)
      healOnExit()
    }
  }
  const partitions = settings.kinds.includes('worker-partition')
  const runId = Date.now().toString(36)
  const logFile = path.join(os.tmpdir(), `stratus-chaos-${runId}.log`)
  const clusterLog = createWriteStream(logFile)
  log(`starting the cluster (run ${runId}, ${settings.minutes} min, ${settings.perKind} fault(s) per kind)`)
  log(`the cluster's processes log to ${logFile}`)
  const cluster: Cluster = await startCluster({
    // The partition singles a worker out by its uid.
    workerAccounts: partitions,
    env: {
      FUNCTIONS_RECONCILE_INTERVAL_MS: String(RECONCILE_INTERVAL_MS),
      FUNCTIONS_RECONCILE_GRACE_MS: String(RECONCILE_GRACE_MS),
      ...settings.env,
    },
    log: (line) => {
      clusterLog.write(`${new Date().toISOString()} ${line}\n`)
      if (settings.verbose) log(`cluster: ${line}`)
    },
  })
  const admin = createClient(cluster.url, { accessToken: cluster.serviceKey, persistSession: false })
  const since = new Date()
  const databaseUrl = cluster.env.DATABASE_URL
  if (!databaseUrl) throw new Error('the cluster has no DATABASE_URL in its env')
  const observer = new Observer(databaseUrl, admin, runId, since)
  const workload = new Workload({
    url: cluster.url,
    runId,
    users: settings.users,
    shards: settings.shards,
    writeEveryMs: settings.writeEveryMs,
    uploadEveryMs: 2000,
    log,
  })
  try {
    await deployWorkload(admin)
    await workload.prepare()
    log('workload prepared: listeners live; writing')
    const startedAt = Date.now()
    const durationMs = settings.minutes * 60_000
    workload.start()
    const faults: FaultRecord[] = await runFaults({
      cluster,
      observer,
      admin,
      runId,
      durationMs,
      perKind: settings.perKind,
      kinds: settings.kinds,
      errors: workload.log.errors,
      log,
    })
    await sleep(Math.max(0, startedAt + durationMs - Date.now()))
    await workload.stop()
    const endedAt = Date.now()
    log(
      `workload stopped: ${workload.log.writes} writes, ${workload.log.uploads} uploads; waiting for quiescence`,
    )
    const quiescence = await waitForQuiescence(observer, endedAt, SETTLE_BOUND_SECONDS + 60, log)
    const records = await collectRecords(observer, workload.log, {
      minutes: settings.minutes,
      faults,
      faultSlackSeconds: FAULT_SLACK_SECONDS,
      deployedAt: since.getTime(),
      endedAt,
      quiescence,
      drainBoundSeconds: DRAIN_BOUND_SECONDS,
      settleBoundSeconds: SETTLE_BOUND_SECONDS,
    })
    const verdict = checkInvariants(records)
    process.stdout.write(`${renderTable(verdict.rows)}\n`)
    process.stdout.write(`${JSON.stringify(verdict.summary)}\n`)
    return verdict.ok ? 0 : 1
  } finally {
    workload.close()
    await observer.close().catch(() => {})
    log('stopping the cluster')
    await cluster.stop()
    clusterLog.end()
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
    process.exit(2)
  },
)
