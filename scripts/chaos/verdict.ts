/**
 * The end of a run: wait for the cluster to go quiet, then gather what the observer reads and what
 * the workload recorded into the checker's records.
 */
import type { ChaosRecords, FaultRecord } from './invariants.ts'
import { type Backlog, listenerRecord, type Observer } from './observer.ts'
import { sleep } from './retry.ts'
import type { WorkloadLog } from './workload.ts'

/** Seconds from the end of the workload to quiet queues (`drain`), and to every effect in place (`settle`). */
export interface Quiescence {
  drainSeconds: number | null
  settleSeconds: number | null
}

/**
 * Waits until nothing is pending in the outbox and the queues (the drain), then until no delivery is
 * in flight and every effect exists too (settled), or `timeoutSeconds` after `since`. In-flight
 * deliveries count toward the settle, not the drain: one a killed worker held stays active until its
 * lock lapses, which the settle bound allows for.
 */
export async function waitForQuiescence(
  observer: Observer,
  since: number,
  timeoutSeconds: number,
  log: (line: string) => void,
): Promise<Quiescence> {
  const deadline = since + timeoutSeconds * 1000
  const result: Quiescence = { drainSeconds: null, settleSeconds: null }
  let reported = 0
  while (Date.now() < deadline) {
    try {
      const backlog = await observer.backlog()
      const queued = backlog.unpublishedOutbox + backlog.undispatchedMessages + backlog.queueDepth
      const elapsed = (Date.now() - since) / 1000
      if (queued === 0 && result.drainSeconds === null) result.drainSeconds = elapsed
      if (queued === 0 && backlog.inFlight === 0 && backlog.missingEffects === 0) {
        result.settleSeconds = elapsed
        return result
      }
      if (Date.now() - reported >= 5000) {
        reported = Date.now()
        log(`waiting for quiescence: ${JSON.stringify(backlog)}`)
      }
    } catch (error) {
      log(`quiescence: ${String(error)}`)
    }
    await sleep(500)
  }
  return result
}

export interface RunFacts {
  minutes: number
  faults: FaultRecord[]
  faultSlackSeconds: number
  /** When the functions were deployed, and when the workload stopped (ms). */
  deployedAt: number
  endedAt: number
  quiescence: Quiescence
  drainBoundSeconds: number
  settleBoundSeconds: number
}

/**
 * What stays in the backlog over five reads half a second apart (the least of each count): the schedule
 * keeps ticking after the workload, and a tick's event or delivery passing through at the moment of one
 * read is not something left behind.
 */
async function lingeringBacklog(observer: Observer): Promise<Backlog> {
  let least = await observer.backlog()
  for (let i = 1; i < 5; i++) {
    await sleep(500)
    const next = await observer.backlog()
    least = {
      unpublishedOutbox: Math.min(least.unpublishedOutbox, next.unpublishedOutbox),
      undispatchedMessages: Math.min(least.undispatchedMessages, next.undispatchedMessages),
      queueDepth: Math.min(least.queueDepth, next.queueDepth),
      inFlight: Math.min(least.inFlight, next.inFlight),
      missingEffects: Math.min(least.missingEffects, next.missingEffects),
    }
  }
  return least
}

/** Reads the cluster once it is quiet and assembles the checker's records. */
export async function collectRecords(
  observer: Observer,
  workload: WorkloadLog,
  facts: RunFacts,
): Promise<ChaosRecords> {
  // Listeners receive their frames a little after the outbox is published: let them catch up.
  await sleep(3000)
  const backlog = await lingeringBacklog(observer)
  const observed = await observer.observe()
  return {
    minutes: facts.minutes,
    faults: facts.faults,
    faultSlackSeconds: facts.faultSlackSeconds,
    notes: observed.notes,
    derived: observed.derived,
    messages: observed.messages,
    messageRecords: observed.messageRecords,
    messageSources: observed.messageSources,
    uploads: observed.uploads,
    uploadRecords: observed.uploadRecords,
    ticks: observed.ticks,
    // The schedule is registered a few seconds after the deploy; the last ticks need a moment to run.
    tickSpan: { from: facts.deployedAt + 10_000, to: facts.endedAt - 2000 },
    duplicateSuccesses: observed.duplicateSuccesses,
    deadLetters: observed.deadLetters,
    listeners: workload.listeners.map((entry) => listenerRecord(entry, observed)),
    quiescence: {
      unpublishedOutbox: backlog.unpublishedOutbox,
      undispatchedMessages: backlog.undispatchedMessages,
      queueDepth: backlog.queueDepth,
      inFlight: backlog.inFlight,
      drainSeconds: facts.quiescence.drainSeconds,
      boundSeconds: facts.drainBoundSeconds,
      settleSeconds: facts.quiescence.settleSeconds,
      settleBoundSeconds: facts.settleBoundSeconds,
    },
    errors: workload.errors,
  }
}
