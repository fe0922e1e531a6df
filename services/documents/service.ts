import { randomBytes } from 'node:crypto'
import type { AuthContext } from '../auth/signing-keys.ts'
import { StratusError } from '../core/errors.ts'
import { CLIENT_ID_PATTERN, newId } from '../core/ids.ts'
import type { Logger } from '../core/logger.ts'
import { type Database, type Sql, sqlState } from '../db/database.ts'
import { addToOutbox } from '../outbox/outbox.ts'
import type { RulesEvaluator } from '../rules/rules.ts'
import type { RuleSimulation, SimulatedOperation } from '../rules/simulation.ts'
import { authorize, forbidden, isService, ruleAuth } from './access.ts'
import {
  type ActiveCollection,
  type CollectionConfig,
  type CollectionInput,
  Collections,
} from './collections.ts'
import {
  DOCUMENT_COLUMNS,
  type Document,
  type DocumentRow,
  deletedEvent,
  documentKey,
  readForUpdate,
  readManyForUpdate,
  toDocument,
} from './documents.ts'
import type { DocumentLimits } from './limits.ts'
import { CursorCodec } from './query/cursor.ts'
import {
  orderSignature,
  parseJsonParam,
  parseLimit,
  parseOrderBy,
  parseWhere,
  resolveOrder,
} from './query/query.ts'
import { compileList } from './query/sql.ts'
import { SetOutcomes } from './set-outcomes.ts'
import { simulateDocumentRule } from './simulate.ts'
import { applyWrite, setAsCreate, type Write, WriteRace } from './writes.ts'

export type { CollectionConfig, CollectionInput, Document, Write }

/** What the documents service needs; built by the composition root. */
export interface DocumentsServiceOptions {
  db: Database
  rules: RulesEvaluator
  logger: Logger
  limits: DocumentLimits
  /** How long a collection's configuration may be used from memory (see Collections). */
  configCacheMs: number
  /** Rows a list page may examine when the read rule filters row by row. */
  listMaxScan: number
}

/** The raw parameters of a list query (JSON texts, as the query string carries them). */
export interface ListParams {
  where?: string
  orderBy?: string
  limit?: string | number
  cursor?: string
}

/** One page of a list. `nextCursor` is null at the end. */
export interface DocumentPage {
  documents: Document[]
  nextCursor: string | null
}

/** A collection as the admin API shows it: its configuration (if any) and how many documents it holds. */
export interface CollectionInfo {
  name: string
  /** False for a collection that holds documents (written with the service key) but has no configuration. */
  configured: boolean
  rules: CollectionConfig['rules'] | null
  schema: CollectionConfig['schema']
  indexes: CollectionConfig['indexes']
  version: number | null
  createdAt: string | null
  updatedAt: string | null
  documentCount: number
}

/** Writes in one batch at most. */
export const MAX_BATCH_WRITES = 500
/** Documents deleted per transaction when a whole collection is deleted. */
const DELETE_CHUNK = 500
const CURSOR_SECRET_KEY = 'db.cursor-secret'

function checkCollectionName(name: string): void {
  if (!CLIENT_ID_PATTERN.test(name)) {
    throw new StratusError('request/invalid', 'A collection name is 1-128 characters of [A-Za-z0-9_-]', {
      details: { field: 'collection' },
    })
  }
}

function checkDocumentId(id: string): void {
  if (!CLIENT_ID_PATTERN.test(id)) {
    throw new StratusError('request/invalid', 'A document id is 1-128 characters of [A-Za-z0-9_-]', {
      details: { field: 'id' },
    })
  }
}

function atIndex(error: unknown, index: number): unknown {
  if (!(error instanceof StratusError)) return error
  const details = error.details && typeof error.details === 'object' ? { index, ...error.details } : { index }
  return new StratusError(error.code, `writes[${index}]: ${error.message}`, { details, cause: error.cause })
}

/**
 * The document database: documents in collections, queries, batches, optimistic concurrency, rules and
 * schemas per collection, and the admin operations. Every write commits with its `db.document.*`
 * event through the outbox. Knows nothing of HTTP.
 */
export class DocumentsService {
  private readonly db: Database
  private readonly logger: Logger
  private readonly limits: DocumentLimits
  private readonly listMaxScan: number
  private readonly cursors: CursorCodec
  private readonly rules: RulesEvaluator
  /** Which path each collection's sets take first (see setDocument). */
  private readonly setOutcomes = new SetOutcomes()
  /** Collection configurations (rules, schemas, indexes). */
  readonly collections: Collections

  private constructor(options: DocumentsServiceOptions, cursors: CursorCodec) {
    this.db = options.db
    this.rules = options.rules
    this.logger = options.logger
    this.limits = options.limits
    this.listMaxScan = options.listMaxScan
    this.cursors = cursors
    this.collections = new Collections({
      db: options.db,
      rules: options.rules,
      logger: options.logger,
      cacheMs: options.configCacheMs,
    })
  }

  /** Opens the service, creating the project's cursor secret on first use (shared by every node). */
  static async create(options: DocumentsServiceOptions): Promise<DocumentsService> {
    await options.db.query(
      'INSERT INTO project_settings (key, value) VALUES ($1, $2::jsonb) ON CONFLICT (key) DO NOTHING',
      [CURSOR_SECRET_KEY, JSON.stringify(randomBytes(32).toString('base64'))],
    )
    const [row] = await options.db.query<{ value: string }>(
      'SELECT value FROM project_settings WHERE key = $1',
      [CURSOR_SECRET_KEY],
    )
    return new DocumentsService(options, new CursorCodec(Buffer.from(row!.value, 'base64')))
  }

  // ---- documents ----

  /** POST: creates a document (a new id unless one is given); 409 when the id is taken. */
  async createDocument(
    auth: AuthContext | null,
    collection: string,
    input: { id?: string; data: Record<string, unknown> },
  ): Promise<Document> {
    checkCollectionName(collection)
    if (input.id !== undefined) checkDocumentId(input.id)
    const active = await this.collections.get(collection)
    // One statement, its own transaction: no row to lock and read first.
    const write: Write = { op: 'create', collection, ...input }
    const { document } = await applyWrite(this.db, auth, active, write, null, this.limits, true)
    return document!
  }

  /** GET one document. A caller the read rule refuses gets 403 whether or not it exists. */
  async getDocument(auth: AuthContext | null, collection: string, id: string): Promise<Document> {
    checkCollectionName(collection)
    checkDocumentId(id)
    const active = await this.collections.get(collection)
    const [row] = await this.db.query<DocumentRow>(
      `SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE collection = $1 AND id = $2`,
      [collection, id],
    )
    authorize(auth, collection, active, 'read', row?.data ?? null, { data: null, method: 'get' })
    if (!row) throw new StratusError('db/not-found', `No document ${id} in collection ${collection}`)
    return toDocument(collection, row)
  }

  /**
   * PUT: creates or replaces. Where this collection's sets mostly create, a set first tries to create
   * in one statement, and locks and reads the stored document only when that finds the id taken.
   */
  async setDocument(
    auth: AuthContext | null,
    collection: string,
    id: string,
    data: Record<string, unknown>,
    ifVersion?: number,
  ): Promise<Document> {
    const write = { op: 'set', collection, id, data, ifVersion } as const
    if (ifVersion === undefined && this.setOutcomes.tryCreateFirst(collection)) {
      checkCollectionName(collection)
      checkDocumentId(id)
      const active = await this.collections.get(collection)
      const created = await setAsCreate(this.db, auth, active, write, this.limits)
      if (created) {
        this.setOutcomes.record(collection, true)
        return created
      }
    }
    return (await this.writeOne(auth, write)) as Document
  }

  /** PATCH: shallow-merges `data` into an existing document. */
  updateDocument(
    auth: AuthContext | null,
    collection: string,
    id: string,
    data: Record<string, unknown>,
    ifVersion?: number,
  ): Promise<Document> {
    return this.writeOne(auth, { op: 'update', collection, id, data, ifVersion }) as Promise<Document>
  }

  /** DELETE one document. */
  async deleteDocument(
    auth: AuthContext | null,
    collection: string,
    id: string,
    ifVersion?: number,
  ): Promise<void> {
    await this.writeOne(auth, { op: 'delete', collection, id, ifVersion })
  }

  private async writeOne(auth: AuthContext | null, write: Write): Promise<Document | null> {
    checkCollectionName(write.collection)
    checkDocumentId(write.id!)
    const active = await this.collections.get(write.collection)
    return this.retrying(async (tx) => {
      const current = await readForUpdate(tx, write.collection, write.id!)
      const { document } = await applyWrite(tx, auth, active, write, current, this.limits, true)
      if (write.op === 'set') this.setOutcomes.record(write.collection, current === null)
      return document
    })
  }

  /**
   * Runs a write transaction, again (up to 3 times in all) when it lost a race that a retry resolves:
   * a concurrent create of the same id under a `set`, or a deadlock between batches.
   */
  private async retrying<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.tx(fn)
      } catch (error) {
        const state = sqlState(error)
        const retry = error instanceof WriteRace || state === '40P01' || state === '40001'
        if (!retry) throw error
        if (attempt >= 3) {
          throw new StratusError('db/version-mismatch', 'The document changed concurrently; retry', {
            cause: error,
          })
        }
        this.logger.debug({ err: error, attempt }, 'write lost a race: retrying')
      }
    }
  }

  /** POST /batch: every write in one transaction, all or nothing; results in order (null for deletes). */
  async batch(auth: AuthContext | null, writes: readonly Write[]): Promise<(Document | null)[]> {
    if (writes.length === 0 || writes.length > MAX_BATCH_WRITES) {
      throw new StratusError('request/invalid', `A batch holds 1-${MAX_BATCH_WRITES} writes`)
    }
    const prepared = writes.map((write, index) => {
      try {
        checkCollectionName(write.collection)
        if (write.op !== 'create' && write.id === undefined) {
          throw new StratusError('request/invalid', `A ${write.op} needs an id`)
        }
        if (write.id !== undefined) checkDocumentId(write.id)
      } catch (error) {
        throw atIndex(error, index)
      }
      return write.id === undefined ? { ...write, id: newId() } : write
    })
    const names = [...new Set(prepared.map((w) => w.collection))]
    const actives = new Map<string, ActiveCollection | null>()
    for (const name of names) actives.set(name, await this.collections.get(name))
    const keys = [...new Map(prepared.map((w) => [documentKey(w.collection, w.id!), w])).values()]
    return this.retrying(async (tx) => {
      const current = new Map<string, Document | null>(
        await readManyForUpdate(
          tx,
          keys.map((w) => ({ collection: w.collection, id: w.id! })),
        ),
      )
      const results: (Document | null)[] = []
      const events = []
      for (const [index, write] of prepared.entries()) {
        const key = documentKey(write.collection, write.id!)
        try {
          const result = await applyWrite(
            tx,
            auth,
            actives.get(write.collection) ?? null,
            write,
            current.get(key) ?? null,
            this.limits,
          )
          current.set(key, result.document)
          results.push(result.document)
          events.push(result.event!)
        } catch (error) {
          throw atIndex(error, index)
        }
      }
      await addToOutbox(tx, events)
      return results
    })
  }

  // ---- queries ----

  /**
   * A page of a collection, filtered, ordered, after a cursor. When the read rule can be decided
   * without a document (`auth != null`, `true`, `false`…) the query is allowed or refused (403) as a
   * whole; when it depends on the document, rows it refuses are skipped. A filtered page examines at
   * most `listMaxScan` rows, so it can come back short (even empty) with a `nextCursor` to go on from;
   * a page with a null `nextCursor` is the last.
   */
  async listDocuments(
    auth: AuthContext | null,
    collection: string,
    params: ListParams,
  ): Promise<DocumentPage> {
    checkCollectionName(collection)
    const where = parseWhere(parseJsonParam('where', params.where), this.limits.maxDepth)
    const order = resolveOrder(parseOrderBy(parseJsonParam('orderBy', params.orderBy)))
    const limit = parseLimit(params.limit)
    const signature = orderSignature(order)
    const after = params.cursor ? this.cursors.decode(signature, params.cursor, order.length) : undefined
    const active = await this.collections.get(collection)

    let readable: ((row: DocumentRow) => boolean) | undefined
    if (!isService(auth)) {
      if (!active) throw forbidden(collection, 'read', false)
      const rule = active.rules.read
      const variables = { auth: ruleAuth(auth), request: { data: null, method: 'list' } }
      const verdict = rule.decide(variables, 'doc')
      if (verdict === false) throw forbidden(collection, 'read', true)
      if (verdict === undefined) readable = (row) => rule.allows({ ...variables, doc: row.data })
    }

    type Row = DocumentRow & Record<`k${number}`, unknown>
    const positionOf = (row: Row) =>
      order.map((_, i) => {
        const value = row[`k${i}`]
        return value instanceof Date ? value.toISOString() : String(value)
      })
    const documents: Document[] = []
    let position = after
    let scanned = 0
    let last: Row | undefined
    for (;;) {
      const want = readable ? Math.min(Math.max(limit + 1, 100), this.listMaxScan - scanned + 1) : limit + 1
      const query = compileList({ collection, where, order, after: position, limit: want })
      const rows = await this.db.query<Row>(query.text, query.params)
      for (const row of rows) {
        // A further row exists: the page is full, or a filtered page has examined all it may.
        if (documents.length === limit || (readable && scanned >= this.listMaxScan)) {
          return { documents, nextCursor: this.cursors.encode(signature, positionOf(last!)) }
        }
        scanned++
        last = row
        if (!readable || readable(row)) documents.push(toDocument(collection, row))
      }
      if (rows.length < want) return { documents, nextCursor: null }
      position = positionOf(last!)
    }
  }

  // ---- admin ----

  /** Every collection that is configured or holds documents, with its document count. */
  async listCollections(): Promise<CollectionInfo[]> {
    const [configs, counts] = await Promise.all([
      this.collections.list(),
      this.db.query<{ collection: string; n: number }>(
        'SELECT collection, count(*)::int AS n FROM documents GROUP BY collection',
      ),
    ])
    const countOf = new Map(counts.map((c) => [c.collection, c.n]))
    const infos = configs.map((config) => info(config.name, config, countOf.get(config.name) ?? 0))
    const configured = new Set(configs.map((c) => c.name))
    for (const { collection, n } of counts)
      if (!configured.has(collection)) infos.push(info(collection, null, n))
    return infos.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  /** One collection; 404 when it is neither configured nor holds documents. */
  async getCollection(name: string): Promise<CollectionInfo> {
    checkCollectionName(name)
    const [config, count] = await Promise.all([this.collections.read(name), this.countDocuments(name)])
    if (!config && count === 0) throw new StratusError('db/not-found', `No collection ${name}`)
    return info(name, config, count)
  }

  /** Sets a collection's rules, schema and indexes (see Collections.put). */
  async putCollection(name: string, input: CollectionInput): Promise<CollectionInfo> {
    checkCollectionName(name)
    const config = await this.collections.put(name, input)
    return info(name, config, await this.countDocuments(name))
  }

  /** Checks a configuration as `putCollection` would, storing nothing (400 `request/invalid`). */
  checkCollection(name: string, input: CollectionInput): void {
    checkCollectionName(name)
    this.collections.check(input)
  }

  /** Renames a collection with all its documents, in one transaction (see `Collections.rename`). */
  async renameCollection(from: string, to: string): Promise<void> {
    checkCollectionName(from)
    checkCollectionName(to)
    await this.collections.rename(from, to)
    this.logger.info({ from, to }, 'renamed a collection')
  }

  /**
   * Deletes a collection: its configuration first (so that only the service key can write to it
   * meanwhile), then its documents in chunks, each chunk one transaction with its documents'
   * `db.document.deleted` events. Returns how many documents were deleted.
   */
  async deleteCollection(name: string): Promise<{ deleted: number }> {
    checkCollectionName(name)
    const hadConfig = await this.collections.remove(name)
    let deleted = 0
    for (;;) {
      const n = await this.db.tx(async (tx) => {
        const rows = await tx.query<DocumentRow>(
          `DELETE FROM documents WHERE collection = $1 AND id IN (
             SELECT id FROM documents WHERE collection = $1 ORDER BY id LIMIT $2 FOR UPDATE)
           RETURNING ${DOCUMENT_COLUMNS}`,
          [name, DELETE_CHUNK],
        )
        await addToOutbox(
          tx,
          rows.map((row) => deletedEvent(toDocument(name, row))),
        )
        return rows.length
      })
      deleted += n
      if (n === 0) break
    }
    if (!hadConfig && deleted === 0) throw new StratusError('db/not-found', `No collection ${name}`)
    this.logger.info({ collection: name, deleted }, 'deleted a collection')
    return { deleted }
  }

  /**
   * The rules simulator's question about a collection: what the data path would decide for `operation`
   * by `auth` (see `simulateDocumentRule`). `doc` is `existing` when given, else the stored document
   * `id` (null when there is none). 404 `db/not-found` for a collection that is neither configured nor
   * holds documents.
   */
  async simulateRule(input: {
    collection: string
    id?: string
    operation: SimulatedOperation
    auth: AuthContext | null
    data?: Record<string, unknown>
    existing?: Record<string, unknown>
  }): Promise<RuleSimulation> {
    const { collection, id } = input
    checkCollectionName(collection)
    if (id !== undefined) checkDocumentId(id)
    const [config, stored, any] = await Promise.all([
      this.collections.read(collection),
      id === undefined
        ? undefined
        : this.db.query<{ data: Record<string, unknown> }>(
            'SELECT data FROM documents WHERE collection = $1 AND id = $2',
            [collection, id],
          ),
      this.db.query('SELECT 1 FROM documents WHERE collection = $1 LIMIT 1', [collection]),
    ])
    if (!config && any.length === 0) throw new StratusError('db/not-found', `No collection ${collection}`)
    return simulateDocumentRule(this.rules, {
      collection,
      config,
      operation: input.operation,
      auth: input.auth,
      doc: input.existing ?? stored?.[0]?.data ?? null,
      named: id !== undefined || input.existing !== undefined,
      data: input.data ?? null,
    })
  }

  private async countDocuments(name: string): Promise<number> {
    const [row] = await this.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM documents WHERE collection = $1',
      [name],
    )
    return row?.n ?? 0
  }
}

function info(name: string, config: CollectionConfig | null, documentCount: number): CollectionInfo {
  return {
    name,
    configured: config !== null,
    rules: config?.rules ?? null,
    schema: config?.schema ?? null,
    indexes: config?.indexes ?? [],
    version: config?.version ?? null,
    createdAt: config?.createdAt ?? null,
    updatedAt: config?.updatedAt ?? null,
    documentCount,
  }
}
