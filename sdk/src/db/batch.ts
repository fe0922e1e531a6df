import type { HttpClient } from '../http.js'
import type { DocumentReference } from './references.js'
import type { Document, DocumentData, WriteOptions } from './types.js'

interface Write {
  op: 'create' | 'set' | 'update' | 'delete'
  collection: string
  id: string
  data?: unknown
  ifVersion?: number
}

/**
 * Writes committed together (`POST /db/v1/batch`): all of them or none. `commit()` resolves with one
 * result per write, in order: the document written, or null for a delete.
 */
export class WriteBatch {
  readonly #http: HttpClient
  readonly #writes: Write[] = []
  #committed = false

  constructor(http: HttpClient) {
    this.#http = http
  }

  /** Creates the document; the batch fails with `db/already-exists` when it exists. */
  create<T = DocumentData>(ref: DocumentReference<T>, data: T): this {
    return this.#add({ op: 'create', collection: ref.collection, id: ref.id, data })
  }

  set<T = DocumentData>(ref: DocumentReference<T>, data: T, options?: WriteOptions): this {
    return this.#add({ op: 'set', collection: ref.collection, id: ref.id, data, ...version(options) })
  }

  update<T = DocumentData>(ref: DocumentReference<T>, data: Partial<T>, options?: WriteOptions): this {
    return this.#add({ op: 'update', collection: ref.collection, id: ref.id, data, ...version(options) })
  }

  delete(ref: DocumentReference<unknown>, options?: WriteOptions): this {
    return this.#add({ op: 'delete', collection: ref.collection, id: ref.id, ...version(options) })
  }

  async commit(): Promise<(Document | null)[]> {
    if (this.#committed) throw new TypeError('Stratus: this batch was already committed')
    this.#committed = true
    const { results } = await this.#http.post<{ results: (Document | null)[] }>('/db/v1/batch', {
      writes: this.#writes,
    })
    return results
  }

  #add(write: Write): this {
    if (this.#committed) throw new TypeError('Stratus: this batch was already committed')
    this.#writes.push(write)
    return this
  }
}

function version(options: WriteOptions | undefined): { ifVersion?: number } {
  return options?.ifVersion !== undefined ? { ifVersion: options.ifVersion } : {}
}
