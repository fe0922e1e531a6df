import type { OrderClause, WhereClause } from '../../api/data.ts'
import { isOrderBy, isWhere } from './query.ts'

export const COLLECTION_TABS = ['documents', 'rules', 'schema', 'indexes'] as const
export type CollectionTab = (typeof COLLECTION_TABS)[number]

/**
 * The collection page's state in its URL, so a link opens the same view: the tab, the query (`where`,
 * `orderBy`, as the API takes them) and the open document.
 */
export interface CollectionSearch {
  tab?: CollectionTab
  where?: WhereClause[]
  orderBy?: OrderClause[]
  /** The document open in the editor; `new` for a document being created. */
  doc?: string
}

/** `validateSearch` of /data/$collection: keeps what is well formed, drops the rest. */
export function collectionSearch(raw: Record<string, unknown>): CollectionSearch {
  const search: CollectionSearch = {}
  if ((COLLECTION_TABS as readonly unknown[]).includes(raw.tab)) search.tab = raw.tab as CollectionTab
  if (isWhere(raw.where) && raw.where.length > 0) search.where = raw.where
  if (isOrderBy(raw.orderBy) && raw.orderBy.length > 0) search.orderBy = raw.orderBy
  // The router reads values as JSON: an id like 123 arrives as a number.
  if ((typeof raw.doc === 'string' && raw.doc !== '') || typeof raw.doc === 'number')
    search.doc = String(raw.doc)
  return search
}
