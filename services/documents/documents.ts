import { EventTypes } from '../core/event-catalog.ts'
import { makeEvent, type PendingEvent } from '../core/events.ts'
import type { Sql } from '../db/database.ts'
import { OUTBOX_COLUMNS, outboxValues, outboxWrittenBy } from '../outbox/outbox.ts'

/** A document as the API returns it and as events carry it. */
export interface Document {
  id: string
  collection: string
  data: Record<string, unknown>
  /** Starts at 1, grows by 1 per write. */
  version: number
  createdAt: string
  updatedAt: string
}

/** A `documents` row as SELECTs return it. */
export interface DocumentRow extends Record<string, unknown> {
  id: string
  data: Record<string, unknown>
  version: number
  created_at: Date
  updated_at: Date
}

export const DOCUMENT_COLUMNS = 'id, data, version, created_at, updated_at'

export function toDocument(collection: string, row: DocumentRow): Document {
  return {
    id: row.id,
    collection,
    data: row.data,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}

/** Reads one document, locking its row for the rest of the transaction. */
export async function readForUpdate(tx: Sql, collection: string, id: string): Promise<Document | null> {
  const [row] = await tx.query<DocumentRow>(
    `SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE collection = $1 AND id = $2 FOR UPDATE`,
    [collection, id],
  )
  return row ? toDocument(collection, row) : null
}

/** Reads (and locks) several documents at once, in key order so that concurrent batches lock alike. */
export async function readManyForUpdate(
  tx: Sql,
  keys: readonly { collection: string; id: string }[],
): Promise<Map<string, Document>> {
  const rows = await tx.query<DocumentRow & { collection: string }>(
    `SELECT collection, ${DOCUMENT_COLUMNS} FROM documents
     WHERE (collection, id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
     ORDER BY collection, id COLLATE "C" FOR UPDATE`,
    [keys.map((k) => k.collection), keys.map((k) => k.id)],
  )
  return new Map(rows.map((row) => [documentKey(row.collection, row.id), toDocument(row.collection, row)]))
}

/** A map key for one document. */
export function documentKey(collection: string, id: string): string {
  return `${collection}/${id}`
}

interface Stamp extends Record<string, unknown> {
  version: number
  created_at: Date
  updated_at: Date
}

function stamped(collection: string, id: string, data: Record<string, unknown>, stamp: Stamp): Document {
  return {
    id,
    collection,
    data,
    version: stamp.version,
    createdAt: stamp.created_at.toISOString(),
    updatedAt: stamp.updated_at.toISOString(),
  }
}

/** Inserts document `$1`/`$2` with data `$3` unless the id is taken, returning its stamp. */
const INSERT_DOCUMENT = `INSERT INTO documents (collection, id, data, version) VALUES ($1, $2, $3::jsonb, 1)
  ON CONFLICT (collection, id) DO NOTHING RETURNING version, created_at, updated_at`

/** Replaces document `$1`/`$2`'s data with `$3`, bumping its version, returning its stamp. */
const REPLACE_DOCUMENT = `UPDATE documents SET data = $3::jsonb, version = version + 1, updated_at = now()
  WHERE collection = $1 AND id = $2 RETURNING version, created_at, updated_at`

/** Inserts a document; null when the id is taken (nothing written). `json` is `data`'s JSON text. */
export async function insertDocument(
  tx: Sql,
  collection: string,
  id: string,
  data: Record<string, unknown>,
  json: string,
): Promise<Document | null> {
  const [row] = await tx.query<Stamp>(INSERT_DOCUMENT, [collection, id, json])
  return row ? stamped(collection, id, data, row) : null
}

/** A timestamp as `Date.prototype.toISOString` writes it (milliseconds, truncated as JS dates hold them). */
const ISO_TIME = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`

/**
 * Runs `write` (an INSERT or UPDATE of the document `$1`/`$2` with data `$3`, returning its stamp) and
 * appends `event` to the outbox in one statement; the outbox row is written only when `write` returned
 * a row. The event's `data.document` is built by the statement from that row, so its timestamps are the
 * row's; `extra` (JSON text of an object) is merged into the event's data beside it. Saves the round
 * trip of a separate outbox insert, and outside a transaction, BEGIN and COMMIT too: a single statement
 * is a transaction of its own.
 */
async function writeWithEvent(
  sql: Sql,
  write: string,
  document: { collection: string; id: string; data: Record<string, unknown>; json: string },
  event: PendingEvent,
  extra: string,
): Promise<Document | null> {
  const { collection, id, data, json } = document
  const [eventId, type, source, eventSubject, time, , traceparent, causation] = outboxValues(event, null)
  const [row] = await sql.query<Stamp>(
    `WITH doc AS (${write}), event AS (
       INSERT INTO outbox (${OUTBOX_COLUMNS})
       SELECT $4, $5, $6, $7, $8::timestamptz,
         jsonb_build_object('document', jsonb_build_object(
           'id', $2::text, 'collection', $1::text, 'data', $3::jsonb, 'version', doc.version,
           'createdAt', to_char(doc.created_at AT TIME ZONE 'UTC', ${ISO_TIME}),
           'updatedAt', to_char(doc.updated_at AT TIME ZONE 'UTC', ${ISO_TIME}))) || $11::jsonb,
         $9, $10
       FROM doc
     )
     SELECT version, created_at, updated_at FROM doc`,
    [collection, id, json, eventId, type, source, eventSubject, time, traceparent, causation, extra],
    { prepare: true },
  )
  if (!row) return null
  outboxWrittenBy(sql)
  return stamped(collection, id, data, row)
}

/**
 * Inserts a document and appends its `db.document.created` event in one statement (see
 * `writeWithEvent`): a create outside a transaction costs the database one round trip instead of four
 * (BEGIN, the two inserts, COMMIT). Null when the id is taken (nothing written).
 */
export function insertDocumentWithEvent(
  sql: Sql,
  collection: string,
  id: string,
  data: Record<string, unknown>,
  json: string,
): Promise<Document | null> {
  // The event's id, time, subject and trace; its document comes from the row.
  const event = createdEvent({ id, collection, data, version: 1, createdAt: '', updatedAt: '' })
  return writeWithEvent(sql, INSERT_DOCUMENT, { collection, id, data, json }, event, '{}')
}

/**
 * Replaces a (locked) document's data, bumping its version, and appends its `db.document.updated`
 * event (with `previous`) in the same statement (see `writeWithEvent`).
 */
export async function replaceDocumentWithEvent(
  tx: Sql,
  previous: Document,
  data: Record<string, unknown>,
  json: string,
): Promise<Document> {
  const { collection, id } = previous
  const event = updatedEvent({ ...previous, data }, previous)
  const document = await writeWithEvent(
    tx,
    REPLACE_DOCUMENT,
    { collection, id, data, json },
    event,
    JSON.stringify({ previous }),
  )
  if (!document) throw new Error(`document ${collection}/${id} vanished while locked`)
  return document
}

/** Deletes a (locked) document and appends its `db.document.deleted` event in the same statement. */
export async function deleteDocumentWithEvent(tx: Sql, previous: Document): Promise<void> {
  const event = deletedEvent(previous)
  await tx.query(
    `WITH doc AS (DELETE FROM documents WHERE collection = $1 AND id = $2 RETURNING 1)
     INSERT INTO outbox (${OUTBOX_COLUMNS})
     SELECT $3, $4, $5, $6, $7::timestamptz, $8::jsonb, $9, $10 FROM doc`,
    [previous.collection, previous.id, ...outboxValues(event, JSON.stringify(event.data))],
    { prepare: true },
  )
  outboxWrittenBy(tx)
}

/** Replaces a (locked) document's data, bumping its version. */
export async function replaceDocument(
  tx: Sql,
  collection: string,
  id: string,
  data: Record<string, unknown>,
  json: string,
): Promise<Document> {
  const [row] = await tx.query<Stamp>(REPLACE_DOCUMENT, [collection, id, json])
  if (!row) throw new Error(`document ${collection}/${id} vanished while locked`)
  return stamped(collection, id, data, row)
}

/** Deletes a (locked) document. */
export async function deleteDocumentRow(tx: Sql, collection: string, id: string): Promise<void> {
  await tx.query('DELETE FROM documents WHERE collection = $1 AND id = $2', [collection, id])
}

function subject(document: Pick<Document, 'collection' | 'id'>): string {
  return `collections/${document.collection}/documents/${document.id}`
}

/** `db.document.created` `{document}`. */
export function createdEvent(document: Document): PendingEvent {
  return makeEvent({ type: EventTypes.documentCreated, subject: subject(document), data: { document } })
}

/** `db.document.updated` `{document, previous}`. */
export function updatedEvent(document: Document, previous: Document): PendingEvent {
  return makeEvent({
    type: EventTypes.documentUpdated,
    subject: subject(document),
    data: { document, previous },
  })
}

/** `db.document.deleted` `{previous}`. */
export function deletedEvent(previous: Document): PendingEvent {
  return makeEvent({ type: EventTypes.documentDeleted, subject: subject(previous), data: { previous } })
}
