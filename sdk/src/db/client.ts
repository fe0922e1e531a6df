import type { HttpClient } from '../http.js'
import type { RealtimeConnection } from '../realtime.js'
import { WriteBatch } from './batch.js'
import { CollectionReference } from './references.js'
import type { DocumentData } from './types.js'

/**
 * Document types by collection name, e.g. the `Collections` that `stratus types` generates. The empty
 * default leaves every collection untyped (`DocumentData`), as before.
 */
export type CollectionTypes = Record<never, never>

/** `app.db`: collections, batches. `C` types the collections it names (`createClient<Collections>(url)`). */
export class DbClient<C extends object = CollectionTypes> {
  readonly #context: { http: HttpClient; realtime: RealtimeConnection }

  constructor(http: HttpClient, realtime: RealtimeConnection) {
    this.#context = { http, realtime }
  }

  /** A collection named in `C` has that document type; any other name is `T` (`DocumentData`). */
  collection<K extends keyof C & string>(name: K): CollectionReference<C[K]>
  collection<T = DocumentData>(name: string): CollectionReference<T>
  collection(name: string): CollectionReference<unknown> {
    return new CollectionReference<unknown>(this.#context, name)
  }

  batch(): WriteBatch {
    return new WriteBatch(this.#context.http)
  }
}
