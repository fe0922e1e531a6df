import { randomUUID } from 'node:crypto'
import type { Bus, Subscription } from '../bus/bus.ts'
import type { Logger } from '../core/logger.ts'
import type { Metrics } from '../core/metrics.ts'
import { parseTraceparent, type SpanSink } from '../core/trace.ts'
import type { Database, Sql } from '../db/database.ts'
import { EVENT_COLUMNS, type OutboxRow, PUBLISHED_THROUGH, rowToEvent } from './outbox.ts'

/** Options of the outbox relay. */
export interface RelayOptions {
  batchSize: number
  /** Poll interval when idle (ms): how soon commits made by other processes are picked up. */
  pollMs: number
  /**
   * Ceiling of the poll interval (ms; default `pollMs`, no back-off): each poll that finds nothing doubles
   * the interval up to this, and any wake-up or published row brings it back to `pollMs`. Wake-ups
   * (commits in this process, hints from others) are as prompt either way; only a lost hint waits longer.
   */
  pollMaxMs?: number
  /**
   * After a cycle that published, wait this long (ms; default 0) before the next one, so that commits
   * arriving meanwhile go out together: one numbering, one publish and one subscriber delivery per batch
   * instead of per event. A quiet relay does not wait: the first commit after a pause goes out at once.
   */
  lingerMs?: number
  /** How long a leadership lease lasts without renewal (ms). */
  leaseMs?: number
  logger: Logger
  metrics?: Metrics
  /** The span exporter (OpenTelemetry), when one is configured: each publish is a span of its event. */
  spans?: SpanSink
}

const LEASE_NAME = 'outbox-relay'
/**
 * Numbering looks for unsequenced rows from this many ids below the highest it numbered last, not from
 * the first row: see `scanFloor`. More than the producers that can be mid-transaction at once.
 */
const SCAN_WINDOW_IDS = 1000
/** How often numbering looks from the first row anyway, for a transaction that committed late. */
const FULL_SCAN_MS = 1000
/** A numbering that found nothing looks from the first row at once, but not more often than this. */
const FULL_SCAN_WHEN_EMPTY_MS = 100
/** project_settings key of the in-memory bus's settled watermark. */
export const SETTLED_KEY = 'relay.settled'

/**
 * Moves committed outbox rows onto the bus, in sequence order, on exactly one node at a time.
 *
 * A cycle: (1) sequence — in one statement, the oldest unsequenced committed rows get the next
 * sequence numbers (so `sequence` follows commit visibility, and a reader of `sequence > n` never sees
 * a later number before an earlier one); (2) publish them to the bus; (3) record the batch in
 * `outbox_publications`, which moves the published watermark to its last sequence (one narrow row per
 * batch; the events' own rows are written only twice: inserted and sequenced).
 * A crash between (2) and (3) republishes the same events with the same ids and sequences, which the
 * bus drops per subscriber (it is keyed by event id). A crash between (1) and (2) leaves sequenced rows
 * above the watermark, which the next leader publishes first. Because leftovers always go before new
 * numbers, what is published is always a prefix of the sequence, and one watermark says it all.
 *
 * Leadership is a lease row renewed by the holder; sequencing also checks the lease in the same
 * statement, and the unique index on `sequence` rejects a stale leader's numbers, so two relays can
 * never hand out one sequence twice.
 *
 * With a bus that holds deliveries in memory (`delivery: 'in-memory'`), publishing is not the end of the
 * story: the relay persists the settled watermark and, on taking the lead after a crash, republishes
 * the events above it before anything new, so subscribers get them at least once.
 */
export class OutboxRelay {
  private readonly db: Database
  private readonly bus: Bus
  private readonly options: Required<Omit<RelayOptions, 'metrics' | 'spans'>> &
    Pick<RelayOptions, 'metrics' | 'spans'>
  private readonly holder = `${process.pid}-${randomUUID()}`
  private leaseUntil = 0
  /** When a node that is not the leader may next try to take the lease. */
  private nextLeaseAttempt = 0
  private running = false
  private loop: Promise<void> | undefined
  private wakeUp: (() => void) | undefined
  private stopLinger: (() => void) | undefined
  private woken = false
  private idlePollMs: number
  private unsubscribe: (() => void) | undefined
  private signals: Subscription | undefined
  /** Whether sequenced-but-unpublished rows may exist (after start, or after a failed publish). */
  private leftovers = true
  /** For an in-memory bus: republish published events above this sequence (set on taking the lead). */
  private replayAfter: number | undefined
  /**
   * Unsequenced rows are looked for above this id. Every numbered row leaves a dead entry in the
   * pending index (WHERE sequence IS NULL) until a vacuum removes it; a scan from the first id would
   * step over all of them every cycle (550 index pages read for 200,000 old events, against 18). A row
   * below the floor (a transaction that took its id early and committed late) is found by the full
   * scan, at most FULL_SCAN_MS later.
   */
  private scanFloor = 0
  private lastFullScan = 0
  /** The settled watermark last written to the database, and when. */
  private persistedSettled = 0
  private lastPersist = 0

  constructor(db: Database, bus: Bus, options: RelayOptions) {
    this.db = db
    this.bus = bus
    this.options = {
      leaseMs: 10_000,
      lingerMs: 0,
      ...options,
      pollMaxMs: Math.max(options.pollMs, options.pollMaxMs ?? 0),
    }
    this.idlePollMs = options.pollMs
  }

  /**
   * Whether this relay holds the lease for at least another second: commits in its process then wake it
   * directly, and a hint to other nodes would only wake followers. Near the lease's end (a renewal
   * failing, a handover) it answers false, so hints go out before another node could take over.
   */
  get leading(): boolean {
    return this.running && this.leaseUntil - Date.now() > 1000
  }

  /**
   * How long the leader's current (or next) poll waits when nothing wakes it: `pollMs` after activity,
   * doubling while polls find nothing, up to `pollMaxMs`.
   */
  get pollIntervalMs(): number {
    return this.idlePollMs
  }

  /**
   * Starts the loop. Commits made through this process's database wake it at once; so do other
   * processes' commits when the bus carries their hints (see `signalOutboxCommits`), else the poll.
   */
  async start(): Promise<void> {
    if (this.running) return
    this.running = true
    this.unsubscribe = this.db.onOutboxCommit(() => this.wake())
    try {
      this.signals = await this.bus.onOutboxSignal(() => this.wake())
    } catch (error) {
      this.options.logger.warn({ err: error }, 'outbox relay: no commit hints from other nodes; polling')
    }
    this.loop = this.run()
  }

  /** Asks the loop to look for new rows now. */
  wake(): void {
    this.woken = true
    this.idlePollMs = this.options.pollMs
    this.wakeUp?.()
  }

  /** Stops after the current cycle and gives up the lease so another node takes over at once. */
  async stop(): Promise<void> {
    if (this.running) {
      this.running = false
      this.wake()
      this.stopLinger?.()
      await this.loop
      this.unsubscribe?.()
      await this.signals?.close()
    }
    if (this.leaseUntil > 0) {
      await this.persistSettled(true).catch(() => {})
      this.leaseUntil = 0
      await this.db
        .query('DELETE FROM leases WHERE name = $1 AND holder = $2', [LEASE_NAME, this.holder])
        .catch(() => {})
    }
  }

  /**
   * One cycle, if this node holds (or can take) the lease. Returns the number of events published.
   * Exposed for tests; the loop calls it.
   */
  async cycle(): Promise<number> {
    if (!(await this.holdLease())) return 0
    await this.persistSettled(false)
    if (this.replayAfter !== undefined) {
      const replay = await this.publishedAfter(this.replayAfter)
      if (replay.length > 0) {
        await this.bus.publish(replay.map(rowToEvent))
        this.replayAfter = replay[replay.length - 1]!.sequence
        return replay.length
      }
      this.replayAfter = undefined
    }
    const rows = this.leftovers ? await this.unpublished() : []
    if (rows.length === 0) {
      this.leftovers = false
      rows.push(...(await this.sequenceNext()))
    }
    if (rows.length === 0) return 0
    rows.sort((a, b) => a.sequence - b.sequence)
    this.leftovers = true
    await this.bus.publish(rows.map(rowToEvent))
    // One narrow row per batch, not a new version of every event's row. The rows are a contiguous run of
    // sequences above the watermark (see unpublished/sequenceNext), so the batch's last is the new mark.
    // A stale leader may record a batch a newer one recorded already: nothing to add then.
    await this.recordPublished(rows[rows.length - 1]!.sequence)
    this.leftovers = false
    const metrics = this.options.metrics
    if (metrics) {
      metrics.outboxPublished.inc(rows.length)
      const now = Date.now()
      for (const row of rows) metrics.eventLag.observe((now - row.created_at.getTime()) / 1000)
    }
    if (this.options.spans) this.exportSpans(this.options.spans, rows)
    return rows.length
  }

  /**
   * Records that every event through `sequence` is published. The commit does not wait for its WAL to
   * reach the disk (asynchronous commit): a record that a database crash loses only makes the next leader
   * publish that batch again (see `unpublished`), which at-least-once delivery allows and subscribers
   * drop by event id; the sequence numbers themselves are committed durably before the publish.
   */
  private async recordPublished(sequence: number): Promise<void> {
    if (!Number.isSafeInteger(sequence)) throw new Error(`outbox relay: bad sequence ${sequence}`)
    // A script (no parameters), so the transaction, its setting and the insert take one round trip.
    await this.db.exec(
      `BEGIN; SET LOCAL synchronous_commit TO off;
       INSERT INTO outbox_publications (through_sequence) VALUES (${sequence}) ON CONFLICT DO NOTHING;
       COMMIT;`,
    )
  }

  /** Each published event as a producer span (its own span id, the cause as parent), commit to publish. */
  private exportSpans(sink: SpanSink, rows: readonly OutboxRow[]): void {
    const end = Date.now()
    for (const row of rows) {
      const trace = parseTraceparent(row.traceparent)
      if (!trace) continue
      sink.add({
        traceId: trace.traceId,
        spanId: trace.spanId,
        ...(row.causation_id ? { parentId: row.causation_id } : {}),
        sampled: trace.flags === '01',
        role: 'producer',
        name: `publish ${row.type}`,
        start: row.time.getTime(),
        end,
        error: false,
        attributes: {
          'messaging.system': 'stratus',
          'messaging.operation.type': 'publish',
          'messaging.destination.name': row.type,
          'messaging.message.id': row.event_id,
          'stratus.event.subject': row.subject,
          'stratus.event.sequence': row.sequence,
        },
      })
    }
  }

  private async run(): Promise<void> {
    let failures = 0
    while (this.running) {
      let published = 0
      try {
        this.woken = false
        published = await this.cycle()
        failures = 0
      } catch (error) {
        failures++
        this.leftovers = true
        this.options.metrics?.outboxPublishErrors.inc()
        this.options.logger.error({ err: error, failures }, 'outbox relay cycle failed; retrying')
      }
      if (!this.running) break
      if (published > 0 && failures === 0) {
        this.idlePollMs = this.options.pollMs
        // Busy: let the next batch gather (unless this one was full, a backlog to catch up on).
        if (this.options.lingerMs > 0 && published < this.options.batchSize) await this.linger()
        continue
      }
      // Back off on repeated failures (bus or database down), up to 5 s; otherwise wait for a wake-up.
      const leading = failures === 0 && this.leaseUntil > Date.now()
      const wait =
        failures > 0
          ? Math.min(5000, 100 * 2 ** failures)
          : leading
            ? // However long the back-off, wake in time to renew the lease (see holdLease).
              Math.min(this.idlePollMs, Math.max(1, this.leaseUntil - this.options.leaseMs / 2 - Date.now()))
            : this.options.leaseMs / 2
      if (this.woken && failures === 0) continue
      // A poll that found nothing and was not cut short by a wake-up: the next one may wait longer.
      if (!(await this.sleep(wait)) && leading) {
        this.idlePollMs = Math.min(this.options.pollMaxMs, this.idlePollMs * 2)
      }
    }
  }

  /** Waits `lingerMs`, whatever wakes the relay meanwhile; `stop` cuts it short. */
  private linger(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.stopLinger = undefined
        resolve()
      }
      const timer = setTimeout(done, this.options.lingerMs)
      this.stopLinger = done
    })
  }

  /** Resolves true when woken before `ms`. */
  private sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(false), ms)
      const done = (woken: boolean) => {
        clearTimeout(timer)
        this.wakeUp = undefined
        resolve(woken)
      }
      this.wakeUp = () => done(true)
    })
  }

  private async holdLease(): Promise<boolean> {
    // Renew when half the lease is left; otherwise trust the lease we hold.
    const now = Date.now()
    if (this.leaseUntil - now > this.options.leaseMs / 2) return true
    // A follower is woken by its own process's commits too: it asks for the lease only now and then.
    if (this.leaseUntil <= now && now < this.nextLeaseAttempt) return false
    this.nextLeaseAttempt = now + this.options.leaseMs / 4
    const rows = await this.db.query<{ holder: string }>(
      `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
       ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
       WHERE leases.holder = EXCLUDED.holder OR leases.expires_at < now()
       RETURNING holder`,
      [LEASE_NAME, this.holder, this.options.leaseMs],
    )
    const held = rows.length === 1
    const wasLeader = this.leaseUntil > Date.now()
    // Keep a safety margin: act as leader for a little less time than the database grants.
    this.leaseUntil = held ? Date.now() + this.options.leaseMs * 0.8 : 0
    if (held && !wasLeader) {
      this.leftovers = true
      this.lastFullScan = 0 // the first numbering as leader looks from the first row
      if (this.bus.capabilities.delivery === 'in-memory') {
        this.persistedSettled = await readSettledWatermark(this.db)
        this.replayAfter = this.persistedSettled
      }
      this.options.logger.info('outbox relay: this node is now the leader')
    }
    return held
  }

  /**
   * Writes the in-memory bus's settled watermark (at most twice a second unless `force`), never moving
   * it backwards: after a restart the bus starts again from nothing while the database remembers.
   */
  private async persistSettled(force: boolean): Promise<void> {
    if (this.bus.capabilities.delivery !== 'in-memory') return
    const settled = this.bus.settledThrough()
    if (settled <= this.persistedSettled) return
    if (!force && Date.now() - this.lastPersist < 500) return
    this.lastPersist = Date.now()
    await this.db.query(
      `INSERT INTO project_settings (key, value) VALUES ($1, to_jsonb($2::bigint))
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()
       WHERE (project_settings.value #>> '{}')::bigint < $2::bigint`,
      [SETTLED_KEY, settled],
    )
    this.persistedSettled = settled
  }

  private publishedAfter(sequence: number): Promise<(OutboxRow & { created_at: Date })[]> {
    return this.db.query(
      `SELECT ${EVENT_COLUMNS}, created_at FROM outbox
       WHERE sequence > $1 AND sequence <= ${PUBLISHED_THROUGH} ORDER BY sequence LIMIT $2`,
      [sequence, this.options.batchSize],
    )
  }

  /** Sequenced rows above the watermark: numbered by a leader that did not get to record their publish. */
  private unpublished(): Promise<(OutboxRow & { created_at: Date })[]> {
    return this.db.query(
      `SELECT ${EVENT_COLUMNS}, created_at FROM outbox
       WHERE sequence > ${PUBLISHED_THROUGH} ORDER BY sequence LIMIT $1`,
      [this.options.batchSize],
    )
  }

  /** Numbers the next committed rows, looking above the scan floor, or from the first row when due. */
  private async sequenceNext(): Promise<(OutboxRow & { created_at: Date })[]> {
    const now = Date.now()
    const fullDue = now - this.lastFullScan >= FULL_SCAN_MS
    let rows = await this.sequenceAbove(fullDue ? 0 : this.scanFloor)
    if (fullDue) this.lastFullScan = now
    else if (rows.length === 0 && this.scanFloor > 0 && now - this.lastFullScan >= FULL_SCAN_WHEN_EMPTY_MS) {
      // Woken for nothing above the floor: the commit may be a late one below it.
      this.lastFullScan = now
      rows = await this.sequenceAbove(0)
    }
    let highest = 0
    for (const row of rows) highest = Math.max(highest, row.outbox_id)
    if (highest > 0) this.scanFloor = Math.max(this.scanFloor, highest - SCAN_WINDOW_IDS)
    return rows
  }

  private sequenceAbove(floor: number): Promise<(OutboxRow & { created_at: Date; outbox_id: number })[]> {
    return this.db.query(
      `WITH lease AS (
         SELECT 1 FROM leases WHERE name = $2 AND holder = $3 AND expires_at > now()
       ), next AS (
         SELECT id, row_number() OVER (ORDER BY id) AS n FROM (
           SELECT id FROM outbox
           WHERE sequence IS NULL AND id > $4 AND EXISTS (SELECT 1 FROM lease)
           ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
         ) AS picked
       ), base AS (
         -- Never below the watermark, even when retention has emptied the outbox: a number at or under
         -- it would read as published already.
         SELECT greatest(coalesce(max(sequence), 0), ${PUBLISHED_THROUGH}) AS s FROM outbox
       )
       UPDATE outbox AS o SET sequence = base.s + next.n
       FROM next, base WHERE o.id = next.id
       RETURNING ${EVENT_COLUMNS.split(', ')
         .map((c) => `o.${c}`)
         .join(', ')}, o.created_at, o.id AS outbox_id`,
      [this.options.batchSize, LEASE_NAME, this.holder, floor],
      { prepare: true },
    )
  }
}

/**
 * Makes each outbox commit through `db` hint the relay leader over `bus` (when other processes share
 * it), so that a leader in another process publishes it at once rather than at its next poll. Returns
 * an unsubscribe.
 */
export function signalOutboxCommits(db: Database, bus: Bus, localRelayLeads?: () => boolean): () => void {
  // This process's relay is woken by its database's commits already: a hint would wake it twice.
  if (bus.capabilities.reach === 'process') return () => {}
  // Likewise while this process's relay is the leader (one PUBLISH, and its echo to every node, saved
  // per commit); a leader about to lose its lease is not counted as one, see `leading`.
  return db.onOutboxCommit(() => {
    if (!localRelayLeads?.()) bus.signalOutbox()
  })
}

/** The in-memory bus's settled watermark as the relay last persisted it (0 when never). */
export async function readSettledWatermark(db: Sql): Promise<number> {
  const [row] = await db.query<{ value: unknown }>('SELECT value FROM project_settings WHERE key = $1', [
    SETTLED_KEY,
  ])
  return Number(row?.value ?? 0)
}
