import { type AuthContext, bypassesRules } from '../auth/signing-keys.ts'
import { StratusError } from '../core/errors.ts'
import { EventTypes } from '../core/event-catalog.ts'
import { makeEvent, QUEUE_SUBJECT_PREFIX } from '../core/events.ts'
import { newEventId } from '../core/ids.ts'
import type { Database } from '../db/database.ts'
import { addToOutbox } from '../outbox/outbox.ts'
import { RuleSyntaxError, type RulesEvaluator } from '../rules/rules.ts'

/** Queue names appear in URLs, event subjects and job-queue names. */
export const QUEUE_NAME_PATTERN = /^[A-Za-z0-9_-]{1,100}$/

/** The longest a message may be delayed. */
export const MAX_DELAY_MS = 7 * 24 * 3600 * 1000

/** Per-queue counts for GET /admin/v1/queues. */
export interface QueueStats {
  name: string
  /** Messages not yet handled: waiting + delayed (+ those waiting for a consumer to be deployed). */
  depth: number
  waiting: number
  delayed: number
  inFlight: number
  dead: number
  consumers: string[]
  /**
   * Seconds the oldest message ready for its consumers has waited since it was published (or fell
   * due, if delayed): for a consumer to be deployed, or in their job queue. 0 when none waits.
   */
  oldestAgeSeconds: number
}

/** A queue's throughput: per-minute rates over the last few minutes (GET /admin/v1/queues). */
export interface QueueRates {
  publishedPerMinute: number
  processedPerMinute: number
}

/** Minutes the rates of GET /admin/v1/queues are averaged over. */
export const QUEUE_RATE_MINUTES = 5

/** Told of each message published (the per-minute rollups count them). Must be cheap. */
export interface QueueMeter {
  queueMessage(queue: string, what: 'published'): void
}

export interface QueueServiceDeps {
  db: Database
  rules: RulesEvaluator
  /** How long a `dedupId` is remembered per queue. */
  dedupSeconds: number
  /** Depth, in-flight and dead counts (the functions runtime knows its job queues and dead letters). */
  stats: () => Promise<QueueStats[]>
  /** Rates per queue name over the last QUEUE_RATE_MINUTES (from the per-minute rollups); absent: none kept. */
  rates?: () => Promise<Map<string, QueueRates>>
  meter?: QueueMeter
}

/** A queue's access rules: `publish` is a CEL rule over `auth` and `request` (`{queue, data}`). */
export interface QueueRules {
  publish?: string | boolean
}

/**
 * Queues: a publish stores the message and its `queue.message.published` event in one transaction
 * (the event id is the message id); the functions runtime's dispatcher hands it to the queue's consumers.
 */
export class QueueService {
  private readonly deps: QueueServiceDeps

  constructor(deps: QueueServiceDeps) {
    this.deps = deps
  }

  /**
   * Publishes `payload` to `queue`. With `dedupId`, a second publish within the dedup window returns the
   * first message's id (`duplicate: true`) and stores nothing.
   */
  async publish(
    queue: string,
    input: { payload: unknown; delayMs?: number; dedupId?: string },
    auth: AuthContext | null,
  ): Promise<{ id: string; duplicate: boolean }> {
    assertQueueName(queue)
    if (!bypassesRules(auth)) await this.authorize(queue, input.payload, auth)
    const id = newEventId()
    const delayMs = input.delayMs ?? 0
    const published = await this.deps.db.tx(async (tx) => {
      if (input.dedupId !== undefined) {
        const claimed = await tx.query<{ message_id: string }>(
          `INSERT INTO queue_dedup (queue, dedup_id, message_id, expires_at)
           VALUES ($1, $2, $3, now() + make_interval(secs => $4))
           ON CONFLICT (queue, dedup_id) DO UPDATE
             SET message_id = EXCLUDED.message_id, expires_at = EXCLUDED.expires_at
             WHERE queue_dedup.expires_at <= now()
           RETURNING message_id`,
          [queue, input.dedupId, id, this.deps.dedupSeconds],
        )
        if (claimed.length === 0) {
          const existing = await tx.query<{ message_id: string }>(
            'SELECT message_id FROM queue_dedup WHERE queue = $1 AND dedup_id = $2',
            [queue, input.dedupId],
          )
          return { id: existing[0]!.message_id, duplicate: true }
        }
      }
      await tx.query('INSERT INTO queues (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [queue])
      const event = makeEvent({
        id,
        type: EventTypes.queueMessagePublished,
        subject: `${QUEUE_SUBJECT_PREFIX}${queue}`,
        data: { id, payload: input.payload ?? null },
      })
      // The message keeps its event's trace, for a hand-over after the outbox row is gone.
      const rows = await tx.query<{ available_at: Date }>(
        `INSERT INTO queue_messages (id, queue, payload, dedup_id, available_at, traceparent, causation_id)
         VALUES ($1, $2, $3::jsonb, $4, now() + make_interval(secs => $5::float8 / 1000), $6, $7)
         RETURNING available_at`,
        [
          id,
          queue,
          JSON.stringify(input.payload ?? null),
          input.dedupId ?? null,
          delayMs,
          event.traceparent ?? null,
          event.causationid ?? null,
        ],
      )
      if (delayMs > 0) event.data.availableAt = rows[0]!.available_at.toISOString()
      await addToOutbox(tx, event)
      return { id, duplicate: false }
    })
    if (!published.duplicate) this.deps.meter?.queueMessage(queue, 'published')
    return published
  }

  /** Checks a queue's name and rules as `setRules` would, storing nothing. */
  checkRules(queue: string, rules: QueueRules): void {
    assertQueueName(queue)
    if (rules.publish !== undefined) {
      try {
        this.deps.rules.compile(rules.publish)
      } catch (error) {
        if (error instanceof RuleSyntaxError) {
          throw new StratusError('request/invalid', `Invalid publish rule: ${error.message}`)
        }
        throw error
      }
    }
  }

  /** Sets a queue's rules (creating the queue). */
  async setRules(queue: string, rules: QueueRules): Promise<{ name: string; rules: QueueRules }> {
    this.checkRules(queue, rules)
    await this.deps.db.query(
      `INSERT INTO queues (name, rules) VALUES ($1, $2::jsonb)
       ON CONFLICT (name) DO UPDATE SET rules = EXCLUDED.rules`,
      [queue, JSON.stringify(rules)],
    )
    return { name: queue, rules }
  }

  /** Every known queue (configured, or published to) with its rules ({} when none were set). */
  async configs(): Promise<{ name: string; rules: QueueRules }[]> {
    const rows = await this.deps.db.query<{ name: string; rules: QueueRules | null }>(
      'SELECT name, rules FROM queues ORDER BY name',
    )
    return rows.map((row) => ({ name: row.name, rules: row.rules ?? {} }))
  }

  /**
   * Deletes a queue with the messages it still holds and its dedup ids, in one transaction. Deliveries
   * already handed to the job queues still run (their consumers decide); 404 when there is no such queue.
   */
  async remove(queue: string): Promise<{ messages: number }> {
    assertQueueName(queue)
    return this.deps.db.tx(async (tx) => {
      const gone = await tx.query('DELETE FROM queues WHERE name = $1 RETURNING name', [queue])
      if (gone.length === 0) throw new StratusError('request/not-found', `No queue ${queue}`)
      const messages = await tx.query('DELETE FROM queue_messages WHERE queue = $1 RETURNING id', [queue])
      await tx.query('DELETE FROM queue_dedup WHERE queue = $1', [queue])
      return { messages: messages.length }
    })
  }

  /** Every known queue with its counts and backlog age (what the gauges sample; no rates). */
  stats(): Promise<QueueStats[]> {
    return this.deps.stats()
  }

  /** Every known queue with its counts and its published/processed rates per minute. */
  async list(): Promise<Array<QueueStats & QueueRates>> {
    const [stats, rates] = await Promise.all([
      this.deps.stats(),
      this.deps.rates?.() ?? Promise.resolve(new Map<string, QueueRates>()),
    ])
    return stats.map((q) => ({
      ...q,
      publishedPerMinute: rates.get(q.name)?.publishedPerMinute ?? 0,
      processedPerMinute: rates.get(q.name)?.processedPerMinute ?? 0,
    }))
  }

  private async authorize(queue: string, payload: unknown, auth: AuthContext | null): Promise<void> {
    const rows = await this.deps.db.query<{ rules: QueueRules | null }>(
      'SELECT rules FROM queues WHERE name = $1',
      [queue],
    )
    const rule = rows[0]?.rules?.publish
    const allowed =
      rule !== undefined &&
      this.deps.rules.compile(rule).allows({
        auth: auth ? { uid: auth.uid, role: auth.role, email: auth.email, claims: auth.claims } : null,
        request: { queue, data: payload },
      })
    if (allowed) return
    if (!auth)
      throw new StratusError(
        'auth/unauthenticated',
        `Publishing to ${queue} needs the service key or a queue rule`,
      )
    throw new StratusError('auth/forbidden', `Publishing to ${queue} is not allowed`)
  }
}

function assertQueueName(queue: string): void {
  if (!QUEUE_NAME_PATTERN.test(queue)) {
    throw new StratusError(
      'request/invalid',
      `A queue name is 1-100 characters of [A-Za-z0-9_-] (got ${JSON.stringify(queue)})`,
    )
  }
}
