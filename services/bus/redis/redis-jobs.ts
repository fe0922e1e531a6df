import { type Job as BullJob, Queue, Worker } from 'bullmq'
import type { Redis } from 'ioredis'
import { DEFAULT_CRON_TIMEZONE } from '../../core/cron.ts'
import type { Subscription } from '../bus.ts'
import {
  JOB_ID_PATTERN,
  JOB_QUEUE_NAME_PATTERN,
  type JobCounts,
  type JobHandler,
  type JobInit,
  type JobQueue,
  type JobQueueCapabilities,
  type ScheduledJob,
  type ScheduleInfo,
  type ScheduleSpec,
} from '../jobs.ts'
import { connectRedis } from './connect.ts'

/** The logger methods the driver uses; a pino `Logger` fits. */
export interface RedisJobQueueLogger {
  warn(details: object, message: string): void
  error(details: object, message: string): void
}

export interface RedisJobQueueOptions {
  url: string
  /** Key namespace (BullMQ's prefix), shared by every process of one cluster. */
  prefix: string
  logger?: RedisJobQueueLogger
  /**
   * A job's lock lifetime (renewed while its handler runs); a job whose process died is re-queued once
   * its lock expires and a worker's stalled check (every `lockDurationMs`) notices. Default 30,000 ms.
   */
  lockDurationMs?: number
}

/**
 * Dedup window: the job id; BullMQ ignores an add whose id exists, and each queue keeps its pending
 * jobs, the last 10,000 completed and the last 1,000 failed ones.
 */
const REMOVE_ON_COMPLETE = { count: 10_000 }
const REMOVE_ON_FAIL = { count: 1000 }
const DRAIN_POLL_MS = 25

/**
 * The production job queue: one BullMQ queue per name (`jobs.<name>`), workers in every process that
 * calls `process`, and BullMQ job schedulers, which add exactly one job per tick across the cluster.
 */
export class RedisJobQueue implements JobQueue {
  readonly driver = 'redis'
  readonly capabilities: JobQueueCapabilities = { delivery: 'durable' }
  private readonly options: Required<Omit<RedisJobQueueOptions, 'logger'>>
  private readonly logger: RedisJobQueueLogger
  private readonly client: Redis
  private workerClient: Redis | undefined
  private readonly queues = new Map<string, Queue>()
  private readonly workers = new Map<string, Set<Worker>>()
  private closing: Promise<void> | undefined

  constructor(options: RedisJobQueueOptions) {
    this.options = {
      url: options.url,
      prefix: options.prefix,
      lockDurationMs: options.lockDurationMs ?? 30_000,
    }
    this.logger = options.logger ?? {
      warn: (d, m) => console.warn(m, d),
      error: (d, m) => console.error(m, d),
    }
    this.client = this.connect('stratus-jobs')
  }

  async add(queue: string, jobs: readonly JobInit[]): Promise<void> {
    this.assertOpen()
    if (jobs.length === 0) return
    for (const job of jobs) {
      if (!JOB_ID_PATTERN.test(job.id)) throw new Error(`invalid job id ${JSON.stringify(job.id)}`)
    }
    await this.queue(queue).addBulk(
      jobs.map((job) => ({
        name: job.name ?? 'job',
        data: job.data,
        opts: {
          jobId: job.id,
          attempts: Math.max(1, job.attempts ?? 1),
          backoff: { type: 'exponential', delay: job.backoffMs ?? 1000 },
          ...(job.delayMs && job.delayMs > 0 ? { delay: Math.ceil(job.delayMs) } : {}),
          removeOnComplete: REMOVE_ON_COMPLETE,
          removeOnFail: REMOVE_ON_FAIL,
        },
      })),
    )
  }

  async process(
    queue: string,
    handler: JobHandler,
    options: { concurrency?: number } = {},
  ): Promise<Subscription> {
    this.assertOpen()
    const worker = new Worker(
      jobQueueName(queue),
      async (job: BullJob) => {
        try {
          await handler({
            id: job.id ?? '',
            name: job.name,
            data: job.data,
            attempt: job.attemptsMade + 1,
            attempts: job.opts.attempts ?? 1,
          })
        } catch (error) {
          throw error instanceof Error ? error : new Error(String(error))
        }
      },
      {
        connection: this.workerConnection(),
        prefix: this.options.prefix,
        concurrency: options.concurrency ?? 1,
        lockDuration: this.options.lockDurationMs,
        stalledInterval: this.options.lockDurationMs,
        // A job whose process died is re-run, not failed: at-least-once across crashes.
        maxStalledCount: 1000,
      },
    )
    worker.on('error', (error) => this.logger.error({ queue, err: error }, 'jobs: worker error'))
    const set = this.workers.get(queue) ?? new Set()
    set.add(worker)
    this.workers.set(queue, set)
    await worker.waitUntilReady()
    return {
      close: async () => {
        set.delete(worker)
        await worker.close()
      },
    }
  }

  async upsertSchedule(queue: string, id: string, spec: ScheduleSpec, job: ScheduledJob): Promise<void> {
    this.assertOpen()
    await this.queue(queue).upsertJobScheduler(
      id,
      // Without `tz`, BullMQ's parser would read the cron in this process's local time.
      { pattern: spec.cron, tz: spec.timezone ?? DEFAULT_CRON_TIMEZONE },
      {
        name: job.name,
        data: job.data,
        opts: {
          attempts: Math.max(1, job.attempts ?? 1),
          backoff: { type: 'exponential', delay: job.backoffMs ?? 1000 },
          removeOnComplete: REMOVE_ON_COMPLETE,
          removeOnFail: REMOVE_ON_FAIL,
        },
      },
    )
  }

  async removeSchedule(queue: string, id: string): Promise<void> {
    await this.queue(queue).removeJobScheduler(id)
  }

  async schedules(queue: string): Promise<ScheduleInfo[]> {
    const queueRef = this.queue(queue)
    // BullMQ keeps a schedule as an entry in the `repeat` sorted set plus a hash of its details. When
    // Redis loses one and not the other, it answers `undefined` (or a hash without its pattern) for it:
    // such a schedule is reported by its id, as damaged, so that callers put it back whole.
    const ids = await (await queueRef.client).zrange(queueRef.keys.repeat!, 0, -1)
    const list = await queueRef.getJobSchedulers(0, -1, true)
    const whole = new Map(list.flatMap((s) => (s?.pattern ? [[s.key, s] as const] : [])))
    return ids.map((id): ScheduleInfo => {
      const s = whole.get(id)
      if (!s) return { id, cron: '', damaged: true }
      return { id, cron: s.pattern!, ...(s.tz ? { timezone: s.tz } : {}) }
    })
  }

  /** At once: `add` resolved only once the jobs were in Redis, where this process's death cannot reach. */
  async settled(_queue: string, _ids: readonly string[]): Promise<void> {}

  async nextWaiting(queue: string): Promise<unknown> {
    // The wait list takes new jobs at its head and workers take them from its tail: ascending order
    // from the start is the tail first.
    const [job] = await this.queue(queue).getJobs(['wait'], 0, 0, true)
    return job?.data
  }

  async counts(queue: string): Promise<JobCounts> {
    const c = await this.queue(queue).getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed')
    return {
      waiting: (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.paused ?? 0),
      active: c.active ?? 0,
      delayed: c.delayed ?? 0,
      failed: c.failed ?? 0,
    }
  }

  async ping(): Promise<void> {
    await this.client.ping()
  }

  async drain(): Promise<void> {
    while (!this.closing) {
      const pending = await Promise.all(
        [...this.workers.entries()]
          .filter(([, set]) => set.size > 0)
          .map(async ([name]) => {
            const c = await this.counts(name)
            return c.waiting + c.active + c.delayed
          }),
      )
      if (pending.every((n) => n === 0)) return
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS))
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown()
    return this.closing
  }

  private async shutdown(): Promise<void> {
    const workers = [...this.workers.values()].flatMap((set) => [...set])
    this.workers.clear()
    for (const r of await Promise.allSettled(workers.map((w) => w.close()))) {
      if (r.status === 'rejected') this.logger.warn({ err: r.reason }, 'jobs: closing a worker failed')
    }
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()))
    this.queues.clear()
    this.workerClient?.disconnect()
    this.client.disconnect()
  }

  private queue(name: string): Queue {
    let queue = this.queues.get(name)
    if (!queue) {
      queue = new Queue(jobQueueName(name), { connection: this.client, prefix: this.options.prefix })
      queue.on('error', (error) => this.logger.error({ queue: name, err: error }, 'jobs: queue error'))
      this.queues.set(name, queue)
    }
    return queue
  }

  private workerConnection(): Redis {
    this.workerClient ??= this.connect('stratus-jobs-worker', { maxRetriesPerRequest: null })
    return this.workerClient
  }

  private connect(connectionName: string, overrides: { maxRetriesPerRequest?: null } = {}): Redis {
    // Named with the key prefix, so CLIENT LIST tells which deployment (or test) holds a connection.
    return connectRedis(this.options.url, `${connectionName}:${this.options.prefix}`, {
      logger: this.logger,
      what: 'jobs',
      isClosing: () => Boolean(this.closing),
      ...overrides,
    })
  }

  private assertOpen(): void {
    if (this.closing) throw new Error('RedisJobQueue: closed')
  }
}

function jobQueueName(name: string): string {
  if (!JOB_QUEUE_NAME_PATTERN.test(name)) throw new Error(`invalid job queue name ${JSON.stringify(name)}`)
  return `jobs.${name}`
}
