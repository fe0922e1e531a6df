import { type QueryClient, useInfiniteQuery } from '@tanstack/react-query'
import { useMemo } from 'react'
import {
  type Document,
  type DocumentPage,
  type OrderClause,
  queryDocuments,
  type WhereClause,
} from '../../api/data.ts'

/** Rows per request: a few screens of the grid, far below the API's 1000. */
export const PAGE_SIZE = 200

export const documentsKey = (
  collection: string,
  where: readonly WhereClause[],
  orderBy: readonly OrderClause[],
) => ['documents', collection, { where, orderBy }] as const

const EMPTY: Document[] = []

/**
 * The documents of a query, a page at a time by cursor (never the whole collection): the pages loaded
 * so far, flattened, and a way to load the next.
 */
export function useDocuments(
  collection: string,
  where: readonly WhereClause[],
  orderBy: readonly OrderClause[],
) {
  const query = useInfiniteQuery({
    queryKey: documentsKey(collection, where, orderBy),
    queryFn: ({ pageParam, signal }) =>
      queryDocuments(
        collection,
        { where: [...where], orderBy: [...orderBy], limit: PAGE_SIZE, cursor: pageParam },
        signal,
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (last: DocumentPage) => last.nextCursor,
    // A refetch would re-read every loaded page in turn; edits patch the cache instead.
    staleTime: Number.POSITIVE_INFINITY,
  })
  const documents = useMemo(() => query.data?.pages.flatMap((page) => page.documents) ?? EMPTY, [query.data])
  return { query, documents, firstPage: query.data?.pages[0]?.documents ?? EMPTY }
}

type Pages = { pages: DocumentPage[]; pageParams: (string | null)[] }

/** Puts a saved document in place in every loaded query of its collection (the grid shows it at once). */
export function patchDocument(client: QueryClient, doc: Document): void {
  client.setQueriesData<Pages>({ queryKey: ['documents', doc.collection] }, (data) =>
    data
      ? {
          ...data,
          pages: data.pages.map((page) => ({
            ...page,
            documents: page.documents.map((d) => (d.id === doc.id ? doc : d)),
          })),
        }
      : data,
  )
}

/** Takes deleted documents out of every loaded query of the collection. */
export function dropDocuments(client: QueryClient, collection: string, ids: readonly string[]): void {
  const gone = new Set(ids)
  client.setQueriesData<Pages>({ queryKey: ['documents', collection] }, (data) =>
    data
      ? {
          ...data,
          pages: data.pages.map((page) => ({
            ...page,
            documents: page.documents.filter((d) => !gone.has(d.id)),
          })),
        }
      : data,
  )
}

/** After writes whose place in the order is unknown (creates, imports): start the queries again from page one. */
export async function restartDocuments(client: QueryClient, collection: string): Promise<void> {
  await client.resetQueries({ queryKey: ['documents', collection] })
  await client.invalidateQueries({ queryKey: ['collections'] })
  await client.invalidateQueries({ queryKey: ['collection', collection] })
}
