/** Document data: any JSON object. */
export type DocumentData = Record<string, unknown>

/** API.md's document. */
export interface Document<T = DocumentData> {
  id: string
  collection: string
  data: T
  /** 1 on create, +1 per write. */
  version: number
  createdAt: string
  updatedAt: string
}

export type WhereOp =
  | '=='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | 'in'
  | 'not-in'
  | 'array-contains'
  | 'array-contains-any'

export type WhereClause = [field: string, op: WhereOp, value: unknown]

export type OrderDirection = 'asc' | 'desc'

export type OrderClause = [field: string, direction: OrderDirection]

export interface QueryResult<T = DocumentData> {
  docs: Document<T>[]
  /** Pass to `startAfter` for the next page; null on the last page. */
  nextCursor: string | null
}

/** Guards a write: it fails with `db/version-mismatch` (412) unless the stored version is this one. */
export interface WriteOptions {
  ifVersion?: number
}

/** What changed in a query's result since the previous snapshot. */
export interface DocumentChange<T = DocumentData> {
  type: 'added' | 'modified' | 'removed'
  doc: Document<T>
}

/** What a query listener receives: the whole current result, and what changed to make it. */
export interface QuerySnapshot<T = DocumentData> {
  docs: Document<T>[]
  changes: DocumentChange<T>[]
}

/** Stops a listener. */
export type Unsubscribe = () => void
