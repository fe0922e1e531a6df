/**
 * Runs the fault plan during the workload: one fault at a time, each followed by a recovery probe (a
 * note written through the balancer with the service key, then its derived document awaited), so the
 * recovery time of a fault is measured end to end and no fault lands on a cluster still down from the
 * previous one.
 */
import type { StratusClient } from '@stratus/sdk'
import type { Cluster } from '../cluster/cluster.ts'
import { inject, planFaults } from './faults.ts'
import { NOTES } from './functions.ts'
import type { ErrorRecord, FaultKind, FaultRecord } from './invariants.ts'
import type { Observer } from './observer.ts'
import { retrying, sleep } from './retry.ts'

export interface FaultRunOptions {
  cluster: Cluster
  observer: Observer
  admin: StratusClient
  runId: string
  durationMs: number
  perKind: number
  /** The kinds to inject (default: all). */
  kinds?: readonly FaultKind[]
  errors: ErrorRecord[]
  log: (line: string) => void
  /** How long a probe may take before the fault counts as unrecovered. */
  recoveryTimeoutMs?: number
}

/** Injects every planned fault and records when each was injected and when the cluster recovered. */
export async function runFaults(options: FaultRunOptions): Promise<FaultRecord[]> {
  const start = Date.now()
  const plan = planFaults(options.durationMs, options.perKind, Math.random, options.kinds)
  const records: FaultRecord[] = []
  for (const [index, planned] of plan.entries()) {
    await sleep(Math.max(0, start + planned.atMs - Date.now()))
    const record: FaultRecord = { kind: planned.kind, at: Date.now(), recoveredAt: null }
    records.push(record)
    let restored: Promise<void> = Promise.resolve()
    try {
      ;({ restored } = await inject(planned.kind, {
        cluster: options.cluster,
        relayHolder: () => options.observer.relayHolder(),
        log: options.log,
      }))
    } catch (error) {
      options.log(`fault ${planned.kind}: the injection failed: ${String(error)}`)
    }
    // Recovery is the rest of the cluster carrying on, so the probe does not wait for a replacement
    // process; the next fault does.
    const [recoveredAt] = await Promise.all([
      probe(options, `p-${options.runId}-${index}`),
      restored.catch((error: unknown) =>
        options.log(`fault ${planned.kind}: the restart failed: ${String(error)}`),
      ),
    ])
    record.recoveredAt = recoveredAt
    const seconds =
      record.recoveredAt === null ? 'never' : `${((record.recoveredAt - record.at) / 1000).toFixed(1)} s`
    options.log(`fault ${index + 1}/${plan.length} ${planned.kind}: recovered in ${seconds}`)
  }
  return records
}

/** Writes a probe note and waits for its derived document; the time it appeared, or null. */
async function probe(options: FaultRunOptions, id: string): Promise<number | null> {
  const deadline = Date.now() + (options.recoveryTimeoutMs ?? 120_000)
  try {
    await retrying(
      `probe ${id}`,
      () => options.admin.db.collection(NOTES).doc(id).set({ shard: -1, probe: true }),
      { errors: options.errors, deadlineMs: options.recoveryTimeoutMs ?? 120_000 },
    )
  } catch (error) {
    options.log(`probe ${id}: the write never succeeded: ${String(error)}`)
    return null
  }
  while (Date.now() < deadline) {
    try {
      if (await options.observer.derivedExists(id)) return Date.now()
    } catch {
      // PostgreSQL may still be coming back: keep asking until the deadline.
    }
    await sleep(200)
  }
  return null
}
