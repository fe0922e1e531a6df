import { newEventId } from '../../core/ids.ts'
import type { Sql } from '../../db/database.ts'
import type { Mail, MailTransport } from './mail-transport.ts'

/** A message kept by the dev mailbox, as GET /admin/v1/mail lists it. */
export interface StoredMail {
  id: string
  to: string
  from: string
  subject: string
  text: string
  html: string | null
  createdAt: string
}

interface MailRow extends Record<string, unknown> {
  id: string
  to: string
  from: string
  subject: string
  text: string
  html: string | null
  created_at: Date
}

/** Options of the dev mailbox. */
export interface DevMailboxOptions {
  /** The database the mailbox table lives in (so any node serves what any node sent). */
  sql: Sql
  from: string
}

/**
 * The embedded mail driver: nothing leaves the machine; every message is stored in the `dev_mail`
 * table, newest first at GET /admin/v1/mail, which is how development and tests read tokens.
 */
export class DevMailbox implements MailTransport {
  readonly driver = 'dev-mailbox' as const
  private readonly options: DevMailboxOptions

  constructor(options: DevMailboxOptions) {
    this.options = options
  }

  async send(mail: Mail): Promise<void> {
    await this.options.sql.query(
      'INSERT INTO dev_mail (id, "to", "from", subject, text, html) VALUES ($1, $2, $3, $4, $5, $6)',
      [newEventId(), mail.to, this.options.from, mail.subject, mail.text, mail.html ?? null],
    )
  }

  /**
   * Messages newest first, optionally only those to `to`; `before` is the id of the last message of
   * the previous page (ids are UUIDv7, so they order by time).
   */
  async list(query: { to?: string; limit: number; before?: string }): Promise<StoredMail[]> {
    const where: string[] = []
    const params: unknown[] = []
    if (query.to !== undefined) {
      params.push(query.to.toLowerCase())
      where.push(`lower("to") = $${params.length}`)
    }
    if (query.before !== undefined) {
      params.push(query.before)
      where.push(`id < $${params.length}`)
    }
    params.push(query.limit)
    const rows = await this.options.sql.query<MailRow>(
      `SELECT id, "to", "from", subject, text, html, created_at FROM dev_mail
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`,
      params,
    )
    return rows.map((row) => ({
      id: row.id,
      to: row.to,
      from: row.from,
      subject: row.subject,
      text: row.text,
      html: row.html,
      createdAt: row.created_at.toISOString(),
    }))
  }

  async close(): Promise<void> {}
}
