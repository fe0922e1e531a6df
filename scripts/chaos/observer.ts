/**
 * Reads what really happened from the cluster's own PostgreSQL (the record of truth: documents, the
 * outbox, executions, dead letters) and its admin API (queue depths), never from the workload's view:
 * a write whose answer a fault lost may well have committed, and it must then have its effects too.
 */
import type { StratusClient } from '@stratus/sdk'
import pg from 'pg'
import { PUBLISHED_THROUGH } from '../../services/outbox/outbox.ts'
import { BUCKET, DERIVED, MESSAGES, NOTES, QUEUE, TICKS, UPLOADS } from './functions.ts'
import type { EffectRecord, ListenerRecord, SourceDocument, SuccessCount, TickRecord } from './invariants.ts'
import type { ListenerLog } from './workload.ts'

/** What a quiet cluster has nothing of. */
export interface Backlog {
  unpublishedOutbox: number
  undispatchedMessages: number
  queueDepth: number
  inFlight: number
  /** Notes, messages and uploads still without their effect. */
  missingEffects: number
}

export interface Observed {
  notes: SourceDocument[]
  derived: EffectRecord[]
  messages: string[]
  messageSources: string[]
  messageRecords: EffectRecord[]
  uploads: string[]
  uploadRecords: EffectRecord[]
  ticks: TickRecord[]
  duplicateSuccesses: SuccessCount[]
  deadLetters: number
  /** For each shard, the sequences of the changes to its notes, ascending. */
  expectedByShard: Map<number, number[]>
}

interface QueueRow {
  name: string
  depth: number
  inFlight: number
}

const RELAY_LEASE = 'outbox-relay'

export class Observer {
  readonly #pool: pg.Pool
  readonly #admin: StratusClient
  /** LIKE patterns for this run's notes and uploads (run ids are `[a-z0-9]`, no LIKE wildcards). */
  readonly #notes: string
  readonly #uploads: string
  readonly #since: Date

  constructor(databaseUrl: string, admin: StratusClient, runId: string, since: Date) {
    // Errors of idle clients (Postgres restarted under them) must not crash the run.
    this.#pool = new pg.Pool({ connectionString: databaseUrl, max: 2 })
    this.#pool.on('error', () => {})
    this.#admin = admin
    this.#notes = `_-${runId}-%`
    this.#uploads = `u-${runId}-%`
    this.#since = since
  }

  async close(): Promise<void> {
    await this.#pool.end()
  }

  async #rows<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.#pool.query<T>(sql, params)).rows
  }

  /** The relay lease's holder, while the lease is live. */
  async relayHolder(): Promise<string | null> {
    const rows = await this.#rows<{ holder: string }>(
      'SELECT holder FROM leases WHERE name = $1 AND expires_at > now()',
      [RELAY_LEASE],
    )
    return rows[0]?.holder ?? null
  }

  /** Whether a note's trigger has written its derived document (the recovery probe). */
  async derivedExists(noteId: string): Promise<boolean> {
    const rows = await this.#rows('SELECT 1 FROM documents WHERE collection = $1 AND id = $2', [
      DERIVED,
      `d-${noteId}`,
    ])
    return rows.length > 0
  }

  async backlog(): Promise<Backlog> {
    const [counts] = await this.#rows<{ outbox: number; messages: number; missing: number }>(
      `SELECT
         (SELECT count(*)::int FROM outbox WHERE sequence IS NULL OR sequence > ${PUBLISHED_THROUGH}) AS outbox,
         (SELECT count(*)::int FROM queue_messages WHERE queue = $1 AND dispatched_at IS NULL) AS messages,
         (SELECT count(*)::int FROM documents n WHERE n.collection = $2 AND n.id LIKE $3
            AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.collection = $4 AND d.id = 'd-' || n.id))
         + (SELECT count(*)::int FROM storage_objects o WHERE o.bucket = $5 AND o.key LIKE $6
            AND NOT EXISTS (SELECT 1 FROM documents u WHERE u.collection = $7 AND u.data->>'key' = o.key))
         + (SELECT count(*)::int FROM outbox e WHERE e.type = 'queue.message.published' AND e.subject = $8
            AND e.data->'payload'->>'source' LIKE $3
            AND NOT EXISTS (SELECT 1 FROM documents m WHERE m.collection = $9 AND m.id = 'm-' || (e.data->>'id')))
           AS missing`,
      [QUEUE, NOTES, this.#notes, DERIVED, BUCKET, this.#uploads, UPLOADS, `queues/${QUEUE}`, MESSAGES],
    )
    const { queues } = await this.#admin.http.request<{ queues: QueueRow[] }>('/admin/v1/queues')
    return {
      unpublishedOutbox: counts?.outbox ?? 0,
      undispatchedMessages: counts?.messages ?? 0,
      queueDepth: queues.reduce((sum, queue) => sum + queue.depth, 0),
      inFlight: queues.reduce((sum, queue) => sum + queue.inFlight, 0),
      missingEffects: counts?.missing ?? 0,
    }
  }

  /** Everything the checker needs, read once the cluster is quiet. */
  async observe(): Promise<Observed> {
    const created = await this.#rows<{ subject: string; event_id: string }>(
      `SELECT subject, event_id FROM outbox WHERE type = 'db.document.created' AND subject LIKE $1`,
      [`collections/${NOTES}/documents/${this.#notes}`],
    )
    const createdBy = new Map(
      created.map((row) => [row.subject.slice(row.subject.lastIndexOf('/') + 1), row.event_id]),
    )
    const notes = (
      await this.#rows<{ id: string }>('SELECT id FROM documents WHERE collection = $1 AND id LIKE $2', [
        NOTES,
        this.#notes,
      ])
    ).map((row) => ({ id: row.id, createdEventId: createdBy.get(row.id) ?? null }))
    const derived = await this.#effects(DERIVED, `d-${this.#notes}`, 'source')
    const published = await this.#rows<{ id: string; source: string }>(
      `SELECT data->>'id' AS id, data->'payload'->>'source' AS source FROM outbox
        WHERE type = 'queue.message.published' AND subject = $1 AND data->'payload'->>'source' LIKE $2`,
      [`queues/${QUEUE}`, this.#notes],
    )
    const messageIds = new Set(published.map((row) => row.id))
    const messageRecords = (await this.#effects(MESSAGES, 'm-%', 'messageId')).filter((record) =>
      messageIds.has(record.source),
    )
    const uploads = (
      await this.#rows<{ key: string }>('SELECT key FROM storage_objects WHERE bucket = $1 AND key LIKE $2', [
        BUCKET,
        this.#uploads,
      ])
    ).map((row) => row.key)
    const uploadRecords = (await this.#effects(UPLOADS, 'u-%', 'key')).filter((record) =>
      record.source.startsWith(this.#uploads.slice(0, -1)),
    )
    const ticks = (
      await this.#rows<{ at: string; event_id: string }>(
        `SELECT data->>'scheduledAt' AS at, data->>'eventId' AS event_id FROM documents
          WHERE collection = $1 AND (data->>'scheduledAt')::bigint >= $2`,
        [TICKS, this.#since.getTime()],
      )
    ).map((row) => ({ scheduledAt: Number(row.at), eventId: row.event_id }))
    const duplicateSuccesses = (
      await this.#rows<{ function_name: string; event_id: string; count: number }>(
        `SELECT function_name, event_id, count(*)::int AS count FROM function_executions
          WHERE status = 'succeeded' AND function_name LIKE 'chaos-%' AND started_at >= $1
          GROUP BY function_name, event_id HAVING count(*) > 1`,
        [this.#since],
      )
    ).map((row) => ({ functionName: row.function_name, eventId: row.event_id, count: row.count }))
    const [dead] = await this.#rows<{ count: number }>(
      `SELECT count(*)::int AS count FROM function_dead_letters WHERE function_name LIKE 'chaos-%' AND failed_at >= $1`,
      [this.#since],
    )
    const changes = await this.#rows<{ sequence: string; shard: string }>(
      `SELECT sequence::text AS sequence, COALESCE(data->'document'->'data'->>'shard', data->'previous'->'data'->>'shard') AS shard
         FROM outbox WHERE type LIKE 'db.document.%' AND subject LIKE $1 AND sequence IS NOT NULL ORDER BY sequence`,
      [`collections/${NOTES}/documents/n-${this.#notes.slice(2)}`],
    )
    const expectedByShard = new Map<number, number[]>()
    for (const change of changes) {
      const shard = Number(change.shard)
      const list = expectedByShard.get(shard) ?? []
      list.push(Number(change.sequence))
      expectedByShard.set(shard, list)
    }
    return {
      notes,
      derived,
      messages: [...messageIds],
      messageSources: published.map((row) => row.source),
      messageRecords,
      uploads,
      uploadRecords,
      ticks,
      duplicateSuccesses,
      deadLetters: dead?.count ?? 0,
      expectedByShard,
    }
  }

  async #effects(collection: string, idPattern: string, field: string): Promise<EffectRecord[]> {
    const rows = await this.#rows<{ source: string }>(
      'SELECT data->>$3 AS source FROM documents WHERE collection = $1 AND id LIKE $2',
      [collection, idPattern, field],
    )
    return rows.map((row) => ({ source: row.source }))
  }
}

/** A listener's record for the checker: what its shard's outbox says against what it received. */
export function listenerRecord(listener: ListenerLog, observed: Observed): ListenerRecord {
  const { name, shard, seen, resumes, freshResumes, failed } = listener
  return { name, expected: observed.expectedByShard.get(shard) ?? [], seen, resumes, freshResumes, failed }
}
