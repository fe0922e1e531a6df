import type { AuthContext } from '../auth/signing-keys.ts'
import { StratusError } from '../core/errors.ts'
import type { PendingEvent } from '../core/events.ts'
import { newId } from '../core/ids.ts'
import type { Sql } from '../db/database.ts'
import { authorize, validateData } from './access.ts'
import type { ActiveCollection } from './collections.ts'
import {
  createdEvent,
  type Document,
  deleteDocumentRow,
  deleteDocumentWithEvent,
  deletedEvent,
  insertDocument,
  insertDocumentWithEvent,
  replaceDocument,
  replaceDocumentWithEvent,
  updatedEvent,
} from './documents.ts'
import { checkDocumentData, type DocumentLimits } from './limits.ts'

/**
 * One write, as the single-document routes and the batch express it:
 * `create` (the id must be free), `set` (create or replace), `update` (shallow merge into an existing
 * document), `delete`. `ifVersion` makes it conditional on the stored version.
 */
export interface Write {
  op: 'create' | 'set' | 'update' | 'delete'
  collection: string
  /** Optional for `create` (a new id is drawn). */
  id?: string
  data?: Record<string, unknown>
  ifVersion?: number
}

/** What a write produced: the document (null for a delete) and its event. */
export interface WriteResult {
  document: Document | null
  /** The write's event, for the caller to append; null when the write appended it itself (`inline`). */
  event: PendingEvent | null
}

/** Another transaction created the same document between our read and our insert: run it again. */
export class WriteRace extends Error {
  override name = 'WriteRace'
}

function versionMismatch(write: Write, current: Document | null): StratusError {
  return new StratusError(
    'db/version-mismatch',
    current
      ? `Document ${write.collection}/${write.id} is at version ${current.version}, not ${write.ifVersion}`
      : `Document ${write.collection}/${write.id} does not exist (expected version ${write.ifVersion})`,
    { details: { expected: write.ifVersion, actual: current?.version ?? null } },
  )
}

function notFound(collection: string, id: string): StratusError {
  return new StratusError('db/not-found', `No document ${id} in collection ${collection}`)
}

function alreadyExists(collection: string, id: string): StratusError {
  return new StratusError('db/already-exists', `Document ${id} already exists in collection ${collection}`)
}

function requireData(write: Write): Record<string, unknown> {
  const data = write.data
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new StratusError('db/invalid-document', `A ${write.op} needs data: a JSON object`)
  }
  return data
}

/**
 * The checks of a `create` that need no stored state (limits, rule, schema), so that a plain create
 * does them before its transaction starts. Returns the id and the data's JSON text.
 */
export function prepareCreate(
  auth: AuthContext | null,
  active: ActiveCollection | null,
  write: Write,
  limits: DocumentLimits,
): { id: string; data: Record<string, unknown>; json: string } {
  const data = requireData(write)
  const json = checkDocumentData(data, limits)
  authorize(auth, write.collection, active, 'create', null, { data, method: 'create' })
  validateData(write.collection, active, data)
  return { id: write.id ?? newId(), data, json }
}

/**
 * Inserts a prepared document under `id`, with its event in the same statement when `inline`; null
 * when the id is taken (nothing written).
 */
function insertNew(
  tx: Sql,
  collection: string,
  id: string,
  prepared: { data: Record<string, unknown>; json: string },
  inline: boolean,
): Promise<Document | null> {
  return (inline ? insertDocumentWithEvent : insertDocument)(tx, collection, id, prepared.data, prepared.json)
}

/**
 * A `set` of a document that is not there yet, as one statement (its own transaction): the create
 * rule, limits and schema are checked, then the document and its event are inserted unless the id is
 * taken. Null when the set must take the general path instead: the id is taken, or a check refused
 * (the general path decides the answer, since the update rule may be the one that applies).
 */
export function setAsCreate(
  db: Sql,
  auth: AuthContext | null,
  active: ActiveCollection | null,
  write: Write & { id: string },
  limits: DocumentLimits,
): Promise<Document | null> {
  let prepared: ReturnType<typeof prepareCreate>
  try {
    prepared = prepareCreate(auth, active, write, limits)
  } catch {
    return Promise.resolve(null)
  }
  return insertNew(db, write.collection, write.id, prepared, true)
}

/**
 * Applies one write inside a transaction, given the stored document (`current`, read with a row lock,
 * or null). Rules are checked before anything else that could reveal the document (its version, its
 * existence to someone the rule refuses), then the version, then the schema.
 *
 * `inline`: the write appends its event to the outbox in the same statement (one round trip fewer) and
 * returns `event: null`. For a transaction of one write, or a create given the database itself (one
 * statement is a transaction); a batch leaves it off and appends its events together, in write order.
 */
export async function applyWrite(
  tx: Sql,
  auth: AuthContext | null,
  active: ActiveCollection | null,
  write: Write,
  current: Document | null,
  limits: DocumentLimits,
  inline = false,
): Promise<WriteResult> {
  const { collection } = write
  if (write.op === 'create') {
    if (current) {
      prepareCreate(auth, active, write, limits)
      throw alreadyExists(collection, current.id)
    }
    const prepared = prepareCreate(auth, active, write, limits)
    const document = await insertNew(tx, collection, prepared.id, prepared, inline)
    if (!document) throw alreadyExists(collection, prepared.id)
    return { document, event: inline ? null : createdEvent(document) }
  }
  const id = write.id!
  if (write.op === 'delete') {
    authorize(auth, collection, active, 'delete', current?.data ?? null, { data: null, method: 'delete' })
    if (!current) throw notFound(collection, id)
    if (write.ifVersion !== undefined && write.ifVersion !== current.version)
      throw versionMismatch(write, current)
    if (inline) {
      await deleteDocumentWithEvent(tx, current)
      return { document: null, event: null }
    }
    await deleteDocumentRow(tx, collection, id)
    return { document: null, event: deletedEvent(current) }
  }
  const incoming = requireData(write)
  if (write.op === 'update' && !current) {
    authorize(auth, collection, active, 'update', null, { data: incoming, method: 'update' })
    throw notFound(collection, id)
  }
  if (!current) {
    // A set of a document that does not exist creates it.
    if (write.ifVersion !== undefined) {
      checkDocumentData(incoming, limits)
      authorize(auth, collection, active, 'create', null, { data: incoming, method: 'create' })
      throw versionMismatch(write, null)
    }
    const prepared = prepareCreate(auth, active, { ...write, id }, limits)
    const document = await insertNew(tx, collection, id, prepared, inline)
    if (!document) throw new WriteRace()
    return { document, event: inline ? null : createdEvent(document) }
  }
  const data = write.op === 'update' ? { ...current.data, ...incoming } : incoming
  const json = checkDocumentData(data, limits)
  authorize(auth, collection, active, 'update', current.data, { data, method: 'update' })
  if (write.ifVersion !== undefined && write.ifVersion !== current.version)
    throw versionMismatch(write, current)
  validateData(collection, active, data)
  if (inline) return { document: await replaceDocumentWithEvent(tx, current, data, json), event: null }
  const document = await replaceDocument(tx, collection, id, data, json)
  return { document, event: updatedEvent(document, current) }
}
