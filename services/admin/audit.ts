import { StratusError } from '../core/errors.ts'
import { newEventId } from '../core/ids.ts'
import type { Database } from '../db/database.ts'
import { redact } from './redact.ts'

/**
 * Who made a change: the service key (CLI, CI, servers), an API key (type `service`, id
 * `apikey:<id>`: it acts with the service key's powers, within its scopes) or an admin.
 */
export type AuditActor = { type: 'service'; id?: string } | { type: 'admin'; id: string; email: string }

/** One admin mutation, as `GET /admin/v1/audit` shows it. */
export interface AuditEntry {
  id: string
  at: string
  actor: AuditActor
  /** `METHOD /route/:pattern` for HTTP, `stratus <command>` for the local CLI. */
  action: string
  /** The route's parameters (what was changed). */
  target: Record<string, unknown>
  /** The resource just before the change, when it could be read (redacted). */
  before?: unknown
  /** The request body (redacted). */
  after?: unknown
  /** The client's address; null for the local CLI. */
  ip: string | null
}

/** What a caller records; `before`/`after` are redacted here, whatever the caller passes. */
export interface AuditRecord {
  actor: AuditActor
  action: string
  target?: Record<string, unknown>
  before?: unknown
  after?: unknown
  ip?: string | null
}

interface AuditRow extends Record<string, unknown> {
  id: string
  at: Date
  actor_type: 'service' | 'admin'
  actor_id: string | null
  actor_email: string | null
  action: string
  target: Record<string, unknown>
  before: unknown
  after: unknown
  ip: string | null
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url')
}

function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8')
  if (!UUID.test(id))
    throw new StratusError('request/invalid', 'The cursor is not valid', { details: { field: 'cursor' } })
  return id
}

function toEntry(row: AuditRow): AuditEntry {
  const actor: AuditActor =
    row.actor_type === 'admin'
      ? { type: 'admin', id: row.actor_id ?? '', email: row.actor_email ?? '' }
      : row.actor_id === null
        ? { type: 'service' }
        : { type: 'service', id: row.actor_id }
  return {
    id: row.id,
    at: row.at.toISOString(),
    actor,
    action: row.action,
    target: row.target,
    ...(row.before === null ? {} : { before: row.before }),
    ...(row.after === null ? {} : { after: row.after }),
    ip: row.ip,
  }
}

/**
 * The audit log: one row per successful admin mutation. Ids are UUIDv7, so the log pages newest first
 * by id alone; entries are never updated.
 */
export class AuditLog {
  private readonly db: Database

  constructor(db: Database) {
    this.db = db
  }

  async record(entry: AuditRecord): Promise<void> {
    const actor = entry.actor
    await this.db.query(
      `INSERT INTO admin_audit_log (id, actor_type, actor_id, actor_email, action, target, before, after, ip)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        newEventId(),
        actor.type,
        actor.id ?? null,
        actor.type === 'admin' ? actor.email : null,
        entry.action,
        JSON.stringify(redact(entry.target ?? {})),
        entry.before === undefined ? null : JSON.stringify(redact(entry.before)),
        entry.after === undefined ? null : JSON.stringify(redact(entry.after)),
        entry.ip ?? null,
      ],
    )
  }

  /** A page of entries, newest first; `nextCursor` is null on the last page. */
  async list(query: {
    limit: number
    cursor?: string
  }): Promise<{ entries: AuditEntry[]; nextCursor: string | null }> {
    const before = query.cursor === undefined ? undefined : decodeCursor(query.cursor)
    const rows = await this.db.query<AuditRow>(
      `SELECT id, at, actor_type, actor_id, actor_email, action, target, before, after, ip FROM admin_audit_log
       ${before ? 'WHERE id < $2' : ''} ORDER BY id DESC LIMIT $1`,
      before ? [query.limit + 1, before] : [query.limit + 1],
    )
    const page = rows.slice(0, query.limit)
    const last = page[page.length - 1]
    return {
      entries: page.map(toEntry),
      nextCursor: rows.length > query.limit && last ? encodeCursor(last.id) : null,
    }
  }
}
