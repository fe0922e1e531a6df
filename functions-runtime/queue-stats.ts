import type { JobQueue } from '../services/bus/jobs.ts'
import type { StratusEvent } from '../services/core/events.ts'
import type { QueueStats } from '../services/queue/service.ts'
import type { QueueStore } from '../services/queue/store.ts'
import { type FunctionJobData, queueJobQueue } from './jobs.ts'
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
 * When the message a waiting job delivers became ready: its publish, or the end of its delay (epoch ms);
 * undefined for a job that carries no event.
 */
function readyAt(data: unknown): number | undefined {
  const job = data as FunctionJobData | undefined
  const event: StratusEvent | undefined = job && 'event' in job ? job.event : undefined
  if (!event || typeof event.time !== 'string') return undefined
  const published = Date.parse(event.time)
  const due = (event.data as { availableAt?: string } | null)?.availableAt
  return due ? Math.max(published, Date.parse(due)) : published
}

/**
 * Depth, in-flight and dead counts of every known queue (a queue table row or a consumer's trigger),
 * from the messages not handed over yet, the consumers' job queues and the dead letters, and the age of
 * the oldest message ready and waiting (in the database for a consumer, or first in its job queue).
 * Also sets the queue depth gauges.
 */
export async function queueStats(sources: QueueStatsSources, now = Date.now()): Promise<QueueStats[]> {
  const { queues, store, registry, jobs, metrics } = sources
  const rows = await queues.undispatchedCounts()
  const names = new Map(rows.map((r) => [r.name, r.undispatched]))
  const dueSince = new Map(rows.map((r) => [r.name, r.oldestDueAt?.getTime()]))
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
      const [c, next] = await Promise.all([
        jobs.counts(queueJobQueue(name)),
        jobs.nextWaiting(queueJobQueue(name)),
      ])
      const d = dead.get(name) ?? 0
      const since = [dueSince.get(name), readyAt(next)].filter((t) => t !== undefined)
      const oldest = since.length > 0 ? Math.min(...since) : now
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
        oldestAgeSeconds: Math.max(0, (now - oldest) / 1000),
      }
    }),
  )
  return stats.sort((a, b) => (a.name < b.name ? -1 : 1))
}
