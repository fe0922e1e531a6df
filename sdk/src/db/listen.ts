import { reportListenerError } from '../auth.js'
import { StratusError } from '../errors.js'
import type { ChangeFrame, RealtimeConnection, SubscriptionSpec } from '../realtime.js'
import type { Document, DocumentChange, DocumentData, QuerySnapshot, Unsubscribe } from './types.js'

/**
 * Listeners: the initial result, then every change. The initial result is read over HTTP after the
 * subscription is live, so nothing committed in between is missed; changes that arrive while it loads
 * wait and are applied on top, each only if it is newer than what the read returned (the read may
 * already include them).
 */

/** What ordering and staleness read of a document. */
type DocumentStamp = Pick<Document<unknown>, 'id' | 'createdAt' | 'version'>

/**
 * Whether `a` is a later state of the document than `b`. `createdAt` tells lifetimes apart (a
 * document deleted and created again restarts at version 1); `version` orders writes within one.
 */
export function isNewer(a: DocumentStamp, b: DocumentStamp): boolean {
  if (a.createdAt !== b.createdAt) return a.createdAt > b.createdAt
  return a.version > b.version
}

/**
 * Applies one change to a result held by id. Returns what it changed, or null when the change is
 * older than what is held (or removes something not held).
 */
export function applyChange<T>(
  docs: Map<string, Document<T>>,
  change: ChangeFrame,
): DocumentChange<T> | null {
  const incoming = change.document as Document<T>
  const current = docs.get(incoming.id)
  const leaves = change.event === 'deleted' || change.matches === false
  if (leaves) {
    if (!current) return null
    // The read returned a later lifetime, or a later state that matches again: keep it.
    if (change.event === 'deleted' ? current.createdAt > incoming.createdAt : isNewer(current, incoming))
      return null
    docs.delete(incoming.id)
    return { type: 'removed', doc: current }
  }
  if (current && !isNewer(incoming, current)) return null
  docs.set(incoming.id, incoming)
  return { type: current ? 'modified' : 'added', doc: incoming }
}

/** The default order of a query (API.md): `createdAt asc, id asc`. */
export function defaultOrder(a: DocumentStamp, b: DocumentStamp): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/** Compares two results by id and state: what a listener reports between two reads. */
export function diffResults<T>(
  before: readonly Document<T>[],
  after: readonly Document<T>[],
): DocumentChange<T>[] {
  const old = new Map(before.map((doc) => [doc.id, doc]))
  const changes: DocumentChange<T>[] = []
  for (const doc of after) {
    const previous = old.get(doc.id)
    old.delete(doc.id)
    if (!previous) changes.push({ type: 'added', doc })
    else if (previous.version !== doc.version || previous.createdAt !== doc.createdAt) {
      changes.push({ type: 'modified', doc })
    }
  }
  for (const doc of old.values()) changes.push({ type: 'removed', doc })
  return changes
}

interface ListenerCallbacks<S> {
  next: (snapshot: S) => void
  error?: ((error: StratusError) => void) | undefined
}

/** The part every listener shares: the subscription, stopping once, and reporting a failure once. */
abstract class Listener<S> {
  #stopped = false
  #unsubscribe: Unsubscribe | null = null
  readonly #callbacks: ListenerCallbacks<S>

  constructor(callbacks: ListenerCallbacks<S>) {
    this.#callbacks = callbacks
  }

  start(realtime: RealtimeConnection, spec: SubscriptionSpec): Unsubscribe {
    this.#unsubscribe = realtime.subscribe(spec, {
      live: (fresh) => {
        if (fresh) this.reload()
      },
      change: (change) => this.changed(change),
      failed: (error) => this.fail(error),
    })
    return () => this.stop()
  }

  get stopped(): boolean {
    return this.#stopped
  }

  stop(): void {
    if (this.#stopped) return
    this.#stopped = true
    this.#unsubscribe?.()
  }

  protected emit(snapshot: S): void {
    if (this.#stopped) return
    try {
      this.#callbacks.next(snapshot)
    } catch (error) {
      reportListenerError(error)
    }
  }

  protected fail(error: unknown): void {
    if (this.#stopped) return
    this.stop()
    const failure =
      error instanceof StratusError
        ? error
        : new StratusError('network/unreachable', String(error), 0, undefined, { cause: error })
    if (this.#callbacks.error) {
      try {
        this.#callbacks.error(failure)
      } catch (thrown) {
        reportListenerError(thrown)
      }
    } else reportListenerError(failure)
  }

  /** Loads the whole state (first time, and when a resume could not replay what was missed). */
  protected abstract reload(): void
  protected abstract changed(change: ChangeFrame): void
}

/**
 * A result kept in memory and changed by applying changes: a document, or a query with no order or
 * limit of its own (its order is the default one, known here).
 */
class AppliedListener<T, S> extends Listener<S> {
  readonly #docs = new Map<string, Document<T>>()
  readonly #load: () => Promise<Document<T>[]>
  readonly #snapshot: (docs: Map<string, Document<T>>, changes: DocumentChange<T>[]) => S
  #buffer: ChangeFrame[] | null = null
  #generation = 0

  constructor(
    callbacks: ListenerCallbacks<S>,
    load: () => Promise<Document<T>[]>,
    snapshot: (docs: Map<string, Document<T>>, changes: DocumentChange<T>[]) => S,
  ) {
    super(callbacks)
    this.#load = load
    this.#snapshot = snapshot
  }

  protected reload(): void {
    const generation = ++this.#generation
    this.#buffer = []
    this.#load().then(
      (docs) => {
        if (this.stopped || generation !== this.#generation) return
        const before = [...this.#docs.values()]
        this.#docs.clear()
        for (const doc of docs) this.#docs.set(doc.id, doc)
        const buffered = this.#buffer ?? []
        this.#buffer = null
        for (const change of buffered) applyChange(this.#docs, change)
        this.emit(this.#snapshot(this.#docs, diffResults(before, [...this.#docs.values()])))
      },
      (error) => this.fail(error),
    )
  }

  protected changed(change: ChangeFrame): void {
    if (this.#buffer) {
      this.#buffer.push(change)
      return
    }
    const applied = applyChange(this.#docs, change)
    if (applied) this.emit(this.#snapshot(this.#docs, [applied]))
  }
}

/**
 * A query with its own order, limit or start cursor: which documents fall in the window depends on
 * documents the client does not hold, so every change re-reads the query (one read at a time, and one
 * more if changes came during it) and reports the difference.
 */
class RereadListener<T> extends Listener<QuerySnapshot<T>> {
  readonly #load: () => Promise<Document<T>[]>
  #docs: Document<T>[] = []
  #loading = false
  #dirty = false
  #first = true

  constructor(callbacks: ListenerCallbacks<QuerySnapshot<T>>, load: () => Promise<Document<T>[]>) {
    super(callbacks)
    this.#load = load
  }

  protected reload(): void {
    this.#read()
  }

  protected changed(): void {
    this.#read()
  }

  #read(): void {
    if (this.#loading) {
      this.#dirty = true
      return
    }
    this.#loading = true
    this.#dirty = false
    this.#load().then(
      (docs) => {
        this.#loading = false
        if (this.stopped) return
        const changes = diffResults(this.#docs, docs)
        this.#docs = docs
        if (changes.length > 0 || this.#first) this.emit({ docs: [...docs], changes })
        this.#first = false
        if (this.#dirty) this.#read()
      },
      (error) => {
        this.#loading = false
        this.fail(error)
      },
    )
  }
}

export interface ListenTarget {
  realtime: RealtimeConnection
  collection: string
}

/** `doc.onSnapshot`: the document (null while it does not exist), then each new state. */
export function listenToDocument<T = DocumentData>(
  target: ListenTarget & { id: string },
  load: () => Promise<Document<T> | null>,
  next: (doc: Document<T> | null) => void,
  error?: (error: StratusError) => void,
): Unsubscribe {
  const listener = new AppliedListener<T, Document<T> | null>(
    { next, error },
    async () => {
      const doc = await load()
      return doc ? [doc] : []
    },
    (docs) => docs.get(target.id) ?? null,
  )
  return listener.start(target.realtime, { collection: target.collection, docId: target.id })
}

/** `query.onSnapshot`: the result, then the result after each change, with what changed. */
export function listenToQuery<T = DocumentData>(
  target: ListenTarget & { where: SubscriptionSpec['where']; ordered: boolean },
  load: () => Promise<Document<T>[]>,
  next: (snapshot: QuerySnapshot<T>) => void,
  error?: (error: StratusError) => void,
): Unsubscribe {
  const spec: SubscriptionSpec = {
    collection: target.collection,
    ...(target.where ? { where: target.where } : {}),
  }
  const listener = target.ordered
    ? new RereadListener<T>({ next, error }, load)
    : new AppliedListener<T, QuerySnapshot<T>>({ next, error }, load, (docs, changes) => ({
        docs: [...docs.values()].sort(defaultOrder),
        changes,
      }))
  return listener.start(target.realtime, spec)
}
