import type { JobQueue } from '../services/bus/jobs.ts'
import type { QueueStats } from '../services/queue/service.ts'
import type { QueueStore } from '../services/queue/store.ts'
import { queueJobQueue } from './jobs.ts'
import type { FunctionMetrics } from './metrics.ts'
import type { FunctionRegistry } from './registry.ts'
import type { FunctionStore } from './store.ts'

export interface QueueStatsSources {
  queues: QueueStore
  store: FunctionStore
  registry: FunctionRegistry
  jobs: JobQueue
  metrics: FunctionMetrics
}

/**
 * Depth, in-flight and dead counts of every known queue (a queue table row or a consumer's trigger),
 * from the messages not handed over yet, the consumers' job queues and the dead letters. Also sets the
 * queue depth gauges.
 */
export async function queueStats(sources: QueueStatsSources): Promise<QueueStats[]> {
  const { queues, store, registry, jobs, metrics } = sources
  const rows = await queues.undispatchedCounts()
  const names = new Map(rows.map((r) => [r.name, r.undispatched]))
  const consumers = new Map<string, string[]>()
  for (const fn of registry.all()) {
    for (const t of fn.triggers) {
      if (t.type !== 'queue') continue
      if (!names.has(t.queue)) names.set(t.queue, 0)
      consumers.set(t.queue, [...(consumers.get(t.queue) ?? []), fn.name])
    }
  }
  const dead = await store.deadLettersPerQueue()
  const stats = await Promise.all(
    [...names].map(async ([name, undispatched]) => {
      const c = await jobs.counts(queueJobQueue(name))
      const d = dead.get(name) ?? 0
      metrics.queueDepth.set({ queue: name, state: 'waiting' }, c.waiting + undispatched)
      metrics.queueDepth.set({ queue: name, state: 'delayed' }, c.delayed)
      metrics.queueDepth.set({ queue: name, state: 'in_flight' }, c.active)
      metrics.queueDepth.set({ queue: name, state: 'dead' }, d)
      return {
        name,
        depth: c.waiting + c.delayed + undispatched,
        waiting: c.waiting + undispatched,
        delayed: c.delayed,
        inFlight: c.active,
        dead: d,
        consumers: consumers.get(name) ?? [],
      }
    }),
  )
  return stats.sort((a, b) => (a.name < b.name ? -1 : 1))
}
