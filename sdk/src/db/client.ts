import type { HttpClient } from '../http.js'
import type { RealtimeConnection } from '../realtime.js'
import { WriteBatch } from './batch.js'
import { CollectionReference } from './references.js'
import type { DocumentData } from './types.js'

/** `app.db`: collections, batches. */
export class DbClient {
  readonly #context: { http: HttpClient; realtime: RealtimeConnection }

  constructor(http: HttpClient, realtime: RealtimeConnection) {
    this.#context = { http, realtime }
  }

  collection<T = DocumentData>(name: string): CollectionReference<T> {
    return new CollectionReference<T>(this.#context, name)
  }

  batch(): WriteBatch {
    return new WriteBatch(this.#context.http)
  }
}
