// The fixed part of what `stratus types` writes: the platform's event and ctx shapes, generic in the
// project's document and payload types. The generator appends the project's own types after it, so this
// file must stay self-contained (no imports): a project compiles it without the server's sources.

/** Any JSON object: a document's data when its collection has no schema. */
export type DocumentData = Record<string, unknown>

/** A CloudEvents 1.0 event as a function receives it. */
export interface CloudEvent<Type extends string = string, Data = unknown> {
  specversion: '1.0'
  id: string
  source: string
  type: Type
  subject: string
  time: string
  /** Strictly increasing across the project (absent on direct events: HTTP calls, schedule ticks). */
  sequence?: number
  data: Data
  traceparent?: string
  causationid?: string
}

/** A stored document, as events and reads carry it. */
export interface StoredDocument<T = DocumentData> {
  id: string
  collection: string
  data: T
  version: number
  createdAt: string
  updatedAt: string
}

/** `db.document.created` on a collection whose documents are `T`. */
export type DocumentCreated<T = DocumentData> = CloudEvent<
  'db.document.created',
  { document: StoredDocument<T> }
>
/** `db.document.updated`: the new version and the one before. */
export type DocumentUpdated<T = DocumentData> = CloudEvent<
  'db.document.updated',
  { document: StoredDocument<T>; previous: StoredDocument<T> }
>
/** `db.document.deleted`: its last version. */
export type DocumentDeleted<T = DocumentData> = CloudEvent<
  'db.document.deleted',
  { previous: StoredDocument<T> }
>

/** A user as `auth.user.*` events carry it. */
export interface UserRecord {
  id: string
  email: string | null
  anonymous: boolean
  data: Record<string, unknown>
  identities: {
    id: string
    provider: string
    email: string | null
    createdAt: string
    lastSignInAt: string | null
  }[]
  factors: { id: string; type: string; status: string; createdAt: string }[]
  createdAt: string
  updatedAt: string
}
export type UserCreated = CloudEvent<'auth.user.created', { user: UserRecord }>
export type UserUpdated = CloudEvent<'auth.user.updated', { user: UserRecord }>
export type UserDeleted = CloudEvent<'auth.user.deleted', { user: UserRecord }>

/** An object's metadata as `storage.object.*` events carry it (never the bytes). */
export interface ObjectRecord {
  bucket: string
  key: string
  size: number
  contentType: string
  etag: string
  metadata: Record<string, string>
  createdAt: string
  updatedAt: string
}
export type ObjectCreated = CloudEvent<'storage.object.created', { object: ObjectRecord }>
export type ObjectDeleted = CloudEvent<'storage.object.deleted', { object: ObjectRecord }>

/** A queue message with payload `P`, as a queue trigger delivers it. */
export type QueueMessage<P = unknown> = CloudEvent<
  'queue.message.published',
  { id: string; payload: P; availableAt?: string }
>

/** A cron tick of a schedule trigger. */
export type ScheduleTick = CloudEvent<
  'schedule.tick',
  { cron: string; timezone: string; scheduledAt: string; manual?: true }
>

/** Who called an HTTP function: null without a token. */
export type HttpAuth = {
  uid: string
  role: string
  email?: string | null
  claims: Record<string, unknown>
} | null

/** What an HTTP trigger hands a function: the request, with a JSON body parsed. */
export interface HttpInput<Body = unknown> {
  method: string
  path: string
  headers: Record<string, string | string[] | undefined>
  query: Record<string, string | string[] | undefined>
  body: Body
  auth: HttpAuth
}
export type HttpRequest<Body = unknown> = CloudEvent<'http.request', HttpInput<Body>>

/** A result an HTTP function may return to set the status and headers; any other value is sent as JSON. */
export interface HttpResult {
  status: number
  headers?: Record<string, string>
  body?: unknown
}

/** A page of a query. */
export interface QueryPage<T> {
  docs: StoredDocument<T>[]
  nextCursor: string | null
}

/** A query over one collection (`ctx.db.collection(c).where(…)`). */
export interface FunctionQuery<T> {
  where(
    field: string,
    op: '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'array-contains',
    value: unknown,
  ): FunctionQuery<T>
  orderBy(field: string, direction?: 'asc' | 'desc'): FunctionQuery<T>
  limit(n: number): FunctionQuery<T>
  startAfter(cursor: string): FunctionQuery<T>
  get(): Promise<QueryPage<T>>
}

/** One document (`ctx.db.collection(c).doc(id)`). */
export interface FunctionDocument<T> {
  get(): Promise<StoredDocument<T> | null>
  set(data: T): Promise<StoredDocument<T>>
  update(data: Partial<T>, options?: { ifVersion?: number }): Promise<StoredDocument<T>>
  delete(): Promise<void>
}

/** A collection (`ctx.db.collection(c)`). */
export interface FunctionCollection<T> extends FunctionQuery<T> {
  add(data: T): Promise<StoredDocument<T>>
  doc(id: string): FunctionDocument<T>
}

/** A function's second argument. `C` maps collection names to document types. */
export interface FunctionContext<C> {
  functionName: string
  version: number
  executionId: string
  /** When the execution times out (epoch ms). */
  deadline: number
  env: Record<string, string>
  log: {
    info(...args: unknown[]): void
    warn(...args: unknown[]): void
    error(...args: unknown[]): void
  }
  db: {
    collection<K extends keyof C & string>(name: K): FunctionCollection<C[K]>
    collection<T = DocumentData>(name: string): FunctionCollection<T>
  }
  storage: {
    from(bucket: string): {
      upload(
        key: string,
        body: string | Uint8Array,
        options?: { contentType?: string; metadata?: Record<string, string> },
      ): Promise<ObjectRecord>
      download(key: string): Promise<{
        data: Uint8Array
        size: number
        contentType: string
        text(): string
        json(): unknown
      }>
      remove(key: string): Promise<void>
      list(options?: { prefix?: string; limit?: number; cursor?: string }): Promise<unknown>
      createSignedUrl(key: string, expiresInSeconds?: number): Promise<unknown>
    }
  }
  queue: {
    publish(
      queue: string,
      payload: unknown,
      options?: { delayMs?: number; dedupId?: string },
    ): Promise<{ id: string }>
  }
}

/** A function's default export for events `E`. */
export type FunctionHandler<E, C> = (event: E, ctx: FunctionContext<C>) => unknown
