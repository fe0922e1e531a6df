import { type JobQueue, safeJobIdPart } from '../services/bus/jobs.ts'
import { EventTypes } from '../services/core/event-catalog.ts'
import { EVENT_SOURCE, type StratusEvent } from '../services/core/events.ts'
import { FUNCTIONS_JOB_QUEUE, type FunctionJobData } from './jobs.ts'
import type { FunctionRegistry } from './registry.ts'

export interface SchedulesOptions {
  jobs: JobQueue
  registry: FunctionRegistry
  /** Backoff before a failed tick's retry. */
  retryBackoffMs: number
}

/**
 * Keeps the job queue's schedules (one per cron trigger, id `<function>.<trigger index>`) in line with
 * the live functions. The job queue fires the ticks (once per tick cluster-wide with Redis); each tick
 * is a function job the executor runs with `scheduleEvent`.
 */
export class Schedules {
  private readonly options: SchedulesOptions

  constructor(options: SchedulesOptions) {
    this.options = options
  }

  /** Makes the job queue's schedules match `name`'s live triggers. */
  async sync(name: string, existing?: { id: string }[]): Promise<void> {
    const fn = this.options.registry.get(name)
    const jobs = this.options.jobs
    const desired = new Map<string, { index: number; cron: string; timezone?: string }>()
    fn?.triggers.forEach((t, index) => {
      if (t.type === 'schedule')
        desired.set(`${name}.${index}`, { index, cron: t.cron, timezone: t.timezone })
    })
    const current = existing ?? (await jobs.schedules(FUNCTIONS_JOB_QUEUE))
    for (const s of current) {
      if (s.id.startsWith(`${name}.`) && !desired.has(s.id))
        await jobs.removeSchedule(FUNCTIONS_JOB_QUEUE, s.id)
    }
    for (const [id, s] of desired) {
      const data: FunctionJobData = {
        kind: 'schedule',
        function: name,
        index: s.index,
        cron: s.cron,
        ...(s.timezone ? { timezone: s.timezone } : {}),
      }
      await jobs.upsertSchedule(
        FUNCTIONS_JOB_QUEUE,
        id,
        { cron: s.cron, ...(s.timezone ? { timezone: s.timezone } : {}) },
        {
          name: `${name}:schedule`,
          data,
          attempts: fn!.retries + 1,
          backoffMs: this.options.retryBackoffMs,
        },
      )
    }
  }

  /** Makes every schedule match the live functions, removing those of functions that are gone. */
  async syncAll(): Promise<void> {
    const existing = await this.options.jobs.schedules(FUNCTIONS_JOB_QUEUE)
    const names = new Set([...this.options.registry.all()].map((f) => f.name))
    for (const s of existing) {
      const name = s.id.split('.')[0]!
      if (!names.has(name)) await this.options.jobs.removeSchedule(FUNCTIONS_JOB_QUEUE, s.id)
    }
    for (const name of names) await this.sync(name, existing)
  }
}

/** The event a schedule tick hands its function; the tick's job id is the event id. */
export function scheduleEvent(
  name: string,
  jobId: string,
  trigger: { cron: string; timezone?: string },
): StratusEvent {
  const tick = /(\d{10,})$/.exec(jobId)?.[1]
  const scheduledAt = tick ? new Date(Number(tick)).toISOString() : new Date().toISOString()
  return {
    specversion: '1.0',
    id: safeJobIdPart(jobId),
    source: EVENT_SOURCE,
    type: EventTypes.scheduleTick,
    subject: `functions/${name}`,
    time: scheduledAt,
    datacontenttype: 'application/json',
    data: { cron: trigger.cron, timezone: trigger.timezone ?? 'UTC', scheduledAt },
    sequence: 0,
  }
}
