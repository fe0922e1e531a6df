/**
 * The fault injector: a plan of faults at random moments (each kind several times, shuffled), and one
 * action per kind against the cluster. A fault counts as recovered once a probe note written after it
 * has its derived document: one write through the balancer and one trigger through the bus, end to end.
 */
import type { Cluster, ClusterNode } from '../cluster/cluster.ts'
import { FAULT_KINDS, type FaultKind } from './invariants.ts'
import { cut } from './partition.ts'
import { sleep } from './retry.ts'

export interface PlannedFault {
  kind: FaultKind
  /** When, in ms after the start of the workload. */
  atMs: number
}

/**
 * `perKind` faults of every kind, shuffled, spread over the middle of the run ([15 %, 75 %] of it) so
 * the workload runs clean before the first and the cluster has time to drain after the last.
 */
export function planFaults(
  durationMs: number,
  perKind: number,
  random: () => number = Math.random,
  only: readonly FaultKind[] = FAULT_KINDS,
): PlannedFault[] {
  const kinds: FaultKind[] = only.flatMap((kind) => Array.from({ length: perKind }, () => kind))
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[kinds[i], kinds[j]] = [kinds[j] as FaultKind, kinds[i] as FaultKind]
  }
  const from = durationMs * 0.15
  const slot = (durationMs * 0.6) / Math.max(1, kinds.length)
  return kinds.map((kind, i) => ({ kind, atMs: Math.round(from + slot * i + random() * slot * 0.5) }))
}

/** The pid in a relay lease's holder (`<pid>-<uuid>`, services/outbox/relay.ts). */
export function holderPid(holder: string): number | undefined {
  const match = /^(\d+)-/.exec(holder)
  return match ? Number(match[1]) : undefined
}

export interface FaultContext {
  cluster: Cluster
  /** The relay lease's holder now, or null when nobody holds it. */
  relayHolder(): Promise<string | null>
  log: (line: string) => void
  random?: () => number
}

function pick<T>(items: T[], random: () => number): T {
  const item = items[Math.floor(random() * items.length)]
  if (item === undefined) throw new Error('chaos: nothing to pick from')
  return item
}

/**
 * kill -9; what it resolves to is the replacement: a pause as a crashed pod would have before it, then
 * a new process (the rest of the cluster is meant to recover without waiting for it).
 */
async function crash(node: ClusterNode, context: FaultContext, random: () => number): Promise<Restored> {
  context.log(`fault: kill -9 ${node.name} (pid ${node.pid() ?? '?'})`)
  await node.kill('SIGKILL')
  const restored = (async () => {
    await sleep(500 + random() * 1500)
    await node.start()
    context.log(`fault: ${node.name} started again (pid ${node.pid() ?? '?'})`)
  })()
  return { restored }
}

/** How long a partition holds before it heals (issue 17). */
export const PARTITION_MS = 10_000

/**
 * Cuts a worker off from PostgreSQL and Redis (its packets to them dropped) for `holdMs`, then heals.
 * Resolves once the cut is in place; `restored` settles once it is healed. The rule goes whatever
 * happens (partition.ts also removes it on exit and on SIGINT/SIGTERM).
 */
async function partition(
  node: ClusterNode,
  context: FaultContext,
  holdMs: number = PARTITION_MS,
): Promise<Restored> {
  if (node.uid === undefined)
    throw new Error(`${node.name} runs under no uid of its own: start the cluster with workerAccounts`)
  const { cluster } = context
  const heal = cut(node.uid, [cluster.postgres.port, cluster.redis.port])
  context.log(
    `fault: ${node.name} (uid ${node.uid}) cut off from PostgreSQL :${cluster.postgres.port} and Redis :${cluster.redis.port} for ${holdMs / 1000} s`,
  )
  const restored = (async () => {
    try {
      await sleep(holdMs)
    } finally {
      heal()
      context.log(`fault: ${node.name} healed`)
    }
  })()
  return { restored }
}

/** A fault in place; `restored` settles once what it took away (a process) is back. */
export interface Restored {
  restored: Promise<void>
}

const done: Restored = { restored: Promise.resolve() }

/**
 * Injects one fault. Resolves once the fault has happened (a process killed; a server restarted or
 * flushed); a killed node's replacement or a partition's healing comes later, in `restored`.
 */
export async function inject(kind: FaultKind, context: FaultContext): Promise<Restored> {
  const random = context.random ?? Math.random
  const { cluster } = context
  const workers = cluster.nodes.filter((node) => node.role === 'worker')
  const apis = cluster.nodes.filter((node) => node.role === 'api')
  switch (kind) {
    case 'worker-kill':
      return crash(pick(workers, random), context, random)
    case 'api-kill':
      return crash(pick(apis, random), context, random)
    case 'relay-leader-kill': {
      const holder = await context.relayHolder()
      const pid = holder ? holderPid(holder) : undefined
      const leader = cluster.nodes.find((node) => pid !== undefined && node.pid() === pid)
      if (!leader)
        context.log(`fault: relay lease held by ${holder ?? 'nobody'}, not a node of ours: killing a worker`)
      return crash(leader ?? pick(workers, random), context, random)
    }
    case 'redis-restart':
      context.log('fault: restart Redis')
      await cluster.redis.restart()
      return done
    case 'redis-lose':
      context.log('fault: Redis loses everything (flush)')
      await cluster.redis.flush()
      return done
    case 'postgres-restart':
      context.log('fault: restart PostgreSQL')
      await cluster.postgres.restart()
      return done
    case 'worker-partition':
      return partition(pick(workers, random), context)
  }
}
