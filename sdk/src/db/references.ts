import { StratusError } from '../errors.js'
import type { HttpClient, QueryValue } from '../http.js'
import type { RealtimeConnection } from '../realtime.js'
import { listenToDocument, listenToQuery } from './listen.js'
import type {
  Document,
  DocumentData,
  OrderClause,
  OrderDirection,
  QueryResult,
  QuerySnapshot,
  Unsubscribe,
  WhereClause,
  WhereOp,
  WriteOptions,
} from './types.js'

/** What every reference needs: the HTTP client and the shared realtime connection. */
export interface DbContext {
  http: HttpClient
  realtime: RealtimeConnection
}

/** The largest page the API serves; listeners that need a whole result read it in pages this big. */
const MAX_PAGE = 1000

export function segment(value: string): string {
  return encodeURIComponent(value)
}

function documentsPath(collection: string): string {
  return `/db/v1/collections/${segment(collection)}/documents`
}

function ifMatch(options: WriteOptions | undefined): Record<string, string> | undefined {
  return options?.ifVersion !== undefined ? { 'if-match': String(options.ifVersion) } : undefined
}

/** One document: `app.db.collection('posts').doc('p1')`. */
export class DocumentReference<T = DocumentData> {
  readonly collection: string
  readonly id: string
  readonly path: string
  readonly #context: DbContext

  constructor(context: DbContext, collection: string, id: string) {
    this.#context = context
    this.collection = collection
    this.id = id
    this.path = `${documentsPath(collection)}/${segment(id)}`
  }

  /** The document, or null when it does not exist. */
  async get(): Promise<Document<T> | null> {
    try {
      return await this.#context.http.get<Document<T>>(this.path)
    } catch (error) {
      if (error instanceof StratusError && error.code === 'db/not-found') return null
      throw error
    }
  }

  /** Creates the document or replaces its data. */
  set(data: T, options?: WriteOptions): Promise<Document<T>> {
    return this.#context.http.put<Document<T>>(this.path, { data }, withHeaders(ifMatch(options)))
  }

  /** Merges `data` into the stored data (top-level keys); `db/not-found` when it does not exist. */
  update(data: Partial<T>, options?: WriteOptions): Promise<Document<T>> {
    return this.#context.http.patch<Document<T>>(this.path, { data }, withHeaders(ifMatch(options)))
  }

  async delete(options?: WriteOptions): Promise<void> {
    await this.#context.http.delete(this.path, withHeaders(ifMatch(options)))
  }

  /** Calls `next` with the document (null while it does not exist), then with every new state. */
  onSnapshot(next: (doc: Document<T> | null) => void, error?: (error: StratusError) => void): Unsubscribe {
    return listenToDocument<T>(
      { realtime: this.#context.realtime, collection: this.collection, id: this.id },
      () => this.get(),
      next,
      error,
    )
  }
}

interface QueryState {
  where: WhereClause[]
  orderBy: OrderClause[]
  limit: number | undefined
  cursor: string | undefined
}

const EMPTY: QueryState = { where: [], orderBy: [], limit: undefined, cursor: undefined }

/** A query: immutable; each method returns a new one. */
export class Query<T = DocumentData> {
  readonly collection: string
  protected readonly context: DbContext
  readonly #state: QueryState

  constructor(context: DbContext, collection: string, state: QueryState = EMPTY) {
    this.context = context
    this.collection = collection
    this.#state = state
  }

  where(field: string, op: WhereOp, value: unknown): Query<T> {
    return this.#with({ where: [...this.#state.where, [field, op, value]] })
  }

  orderBy(field: string, direction: OrderDirection = 'asc'): Query<T> {
    return this.#with({ orderBy: [...this.#state.orderBy, [field, direction]] })
  }

  limit(n: number): Query<T> {
    return this.#with({ limit: n })
  }

  /** Continues after a page: pass the previous result's `nextCursor`. */
  startAfter(cursor: string | null | undefined): Query<T> {
    return this.#with({ cursor: cursor ?? undefined })
  }

  async get(): Promise<QueryResult<T>> {
    return this.#page(this.#state.limit, this.#state.cursor)
  }

  /**
   * Calls `next` with the result, then with the result after every change and the changes that made
   * it. A query with no `orderBy`, `limit` or cursor is kept up to date from the changes alone; one
   * with them is read again after changes (its window depends on documents the client does not hold).
   */
  onSnapshot(next: (snapshot: QuerySnapshot<T>) => void, error?: (error: StratusError) => void): Unsubscribe {
    const s = this.#state
    const ordered = s.orderBy.length > 0 || s.limit !== undefined || s.cursor !== undefined
    return listenToQuery<T>(
      {
        realtime: this.context.realtime,
        collection: this.collection,
        where: s.where.length ? s.where : undefined,
        ordered,
      },
      ordered ? async () => (await this.get()).docs : () => this.#all(),
      next,
      error,
    )
  }

  async #page(limit: number | undefined, cursor: string | undefined): Promise<QueryResult<T>> {
    const s = this.#state
    const query: Record<string, QueryValue> = {
      where: s.where.length ? JSON.stringify(s.where) : undefined,
      orderBy: s.orderBy.length ? JSON.stringify(s.orderBy) : undefined,
      limit,
      cursor,
    }
    const answer = await this.context.http.get<{ documents: Document<T>[]; nextCursor?: string | null }>(
      documentsPath(this.collection),
      { query },
    )
    return { docs: answer.documents, nextCursor: answer.nextCursor ?? null }
  }

  /** Every document of the query, read page by page. */
  async #all(): Promise<Document<T>[]> {
    const docs: Document<T>[] = []
    let cursor: string | undefined
    do {
      const page = await this.#page(MAX_PAGE, cursor)
      docs.push(...page.docs)
      cursor = page.nextCursor ?? undefined
    } while (cursor)
    return docs
  }

  #with(change: Partial<QueryState>): Query<T> {
    return new Query<T>(this.context, this.collection, { ...this.#state, ...change })
  }
}

/** A collection: a query over all of it, plus `add` and `doc`. */
export class CollectionReference<T = DocumentData> extends Query<T> {
  doc(id: string): DocumentReference<T> {
    return new DocumentReference<T>(this.context, this.collection, id)
  }

  /** Creates a document with a server-chosen id (or `options.id`; `db/already-exists` if taken). */
  add(data: T, options: { id?: string } = {}): Promise<Document<T>> {
    return this.context.http.post<Document<T>>(documentsPath(this.collection), {
      ...(options.id !== undefined ? { id: options.id } : {}),
      data,
    })
  }
}

function withHeaders(headers: Record<string, string> | undefined): { headers?: Record<string, string> } {
  return headers ? { headers } : {}
}
