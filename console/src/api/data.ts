import type { Document, OrderClause, WhereClause } from '@stratus/sdk'
import { ApiError, api } from './http.ts'

export type { Document, OrderClause, WhereClause, WhereOp } from '@stratus/sdk'

/** The app's document API as an admin reaches it: the public routes, with the admin session, above rules. */
const APP_DB = '/admin/v1/app/db/v1'

/** The four actions a collection's rules govern, in the order the console shows them. */
export const RULE_ACTIONS = ['read', 'create', 'update', 'delete'] as const
export type RuleAction = (typeof RULE_ACTIONS)[number]

/** A rule as stored: a CEL expression, or a boolean. */
export type RuleSource = string | boolean
export type CollectionRules = Partial<Record<RuleAction, RuleSource>>

/** `[path, dir]`: one field; a list of them: a composite index. */
export type IndexField = [string, 'asc' | 'desc']
export type IndexDeclaration = IndexField | IndexField[]

/** JSON Schema as the admin wrote it. */
export type JsonSchema = Record<string, unknown>

/** A collection as `GET /admin/v1/collections` describes it. */
export interface CollectionInfo {
  name: string
  /** False for a collection holding documents but no configuration (the service key's alone). */
  configured: boolean
  rules: CollectionRules | null
  schema: JsonSchema | null
  indexes: IndexDeclaration[]
  /** Grows by 1 per configuration change; null when not configured. */
  version: number | null
  createdAt: string | null
  updatedAt: string | null
  documentCount: number
}

/** What `PUT /admin/v1/collections/{col}` takes: the whole configuration (absent parts are dropped). */
export interface CollectionInput {
  rules: CollectionRules
  schema?: JsonSchema | null
  indexes?: IndexDeclaration[]
}

const collectionPath = (name: string) => `/admin/v1/collections/${encodeURIComponent(name)}`
const documentsPath = (col: string) => `${APP_DB}/collections/${encodeURIComponent(col)}/documents`
const documentPath = (col: string, id: string) => `${documentsPath(col)}/${encodeURIComponent(id)}`
const withSignal = (signal?: AbortSignal) => (signal ? { signal } : {})
const ifMatch = (version?: number) =>
  version === undefined ? {} : { headers: { 'if-match': String(version) } }

export async function listCollections(signal?: AbortSignal): Promise<CollectionInfo[]> {
  const { collections } = await api<{ collections: CollectionInfo[] }>(
    'GET',
    '/admin/v1/collections',
    withSignal(signal),
  )
  return collections
}

export async function getCollection(name: string, signal?: AbortSignal): Promise<CollectionInfo> {
  const { collection } = await api<{ collection: CollectionInfo }>(
    'GET',
    collectionPath(name),
    withSignal(signal),
  )
  return collection
}

export async function putCollection(name: string, input: CollectionInput): Promise<CollectionInfo> {
  const { collection } = await api<{ collection: CollectionInfo }>('PUT', collectionPath(name), {
    body: input,
  })
  return collection
}

/**
 * Saves a configuration made from `base`, unless someone changed it since `base` was read: the server
 * replaces the whole configuration and has no If-Match for it, so the console checks the version first.
 */
export async function saveCollection(base: CollectionInfo, input: CollectionInput): Promise<CollectionInfo> {
  let current: CollectionInfo | null = null
  try {
    current = await getCollection(base.name)
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error
  }
  if (current && current.version !== base.version) {
    throw new ApiError(
      409,
      'console/config-changed',
      `The configuration of ${base.name} changed since this page loaded it (version ${base.version ?? 'none'} → ${current.version}); reload the page to see it, then make your change again.`,
    )
  }
  return putCollection(base.name, input)
}

/** The configuration a collection has now, as a PUT body (to change one part and keep the others). */
export function inputOf(info: CollectionInfo): CollectionInput {
  return { rules: info.rules ?? {}, schema: info.schema, indexes: info.indexes }
}

/** A query as the list route takes it. */
export interface DocumentQuery {
  where?: WhereClause[]
  orderBy?: OrderClause[]
  /** 1-1000. */
  limit?: number
  cursor?: string | null
}

export interface DocumentPage {
  documents: Document[]
  /** Null on the last page; a page may be short (or empty) and still have one. */
  nextCursor: string | null
}

export function queryDocuments(
  col: string,
  query: DocumentQuery,
  signal?: AbortSignal,
): Promise<DocumentPage> {
  return api<DocumentPage>('GET', documentsPath(col), {
    query: {
      where: query.where?.length ? JSON.stringify(query.where) : undefined,
      orderBy: query.orderBy?.length ? JSON.stringify(query.orderBy) : undefined,
      limit: query.limit,
      cursor: query.cursor ?? undefined,
    },
    ...withSignal(signal),
  })
}

export function getDocument(col: string, id: string, signal?: AbortSignal): Promise<Document> {
  return api<Document>('GET', documentPath(col, id), withSignal(signal))
}

/** Creates a document (a new id when `id` is empty); 409 `db/already-exists` on a taken id. */
export function createDocument(col: string, data: Record<string, unknown>, id?: string): Promise<Document> {
  return api<Document>('POST', documentsPath(col), { body: id ? { id, data } : { data } })
}

/** Replaces a document's data; with `version`, only if it is still that version (else 412). */
export function setDocument(
  col: string,
  id: string,
  data: Record<string, unknown>,
  version?: number,
): Promise<Document> {
  return api<Document>('PUT', documentPath(col, id), { body: { data }, ...ifMatch(version) })
}

export function deleteDocument(col: string, id: string, version?: number): Promise<void> {
  return api<void>('DELETE', documentPath(col, id), ifMatch(version))
}

/** One write of a batch (`POST /db/v1/batch`). */
export interface BatchWrite {
  op: 'create' | 'set' | 'update' | 'delete'
  collection: string
  id?: string
  data?: Record<string, unknown>
  ifVersion?: number
}

/** The most writes one batch may hold. */
export const MAX_BATCH = 500

/** All the writes or none; a failing write is named in `error.details.index`. */
export async function batch(writes: BatchWrite[]): Promise<(Document | null)[]> {
  const { results } = await api<{ results: (Document | null)[] }>('POST', `${APP_DB}/batch`, {
    body: { writes },
  })
  return results
}

/** Which write of a failed batch failed, when the server said so. */
export function failedIndex(error: unknown): number | undefined {
  if (!(error instanceof ApiError)) return undefined
  const index = (error.details as { index?: unknown } | undefined)?.index
  return typeof index === 'number' && Number.isInteger(index) ? index : undefined
}

/**
 * Why one write of a batch failed, for a report: the server's message without its `writes[i]:` prefix
 * (the index is within one batch, not the file), and the schema errors when it gives them.
 */
export function writeErrorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const message = error.message.replace(/^writes\[\d+\]: /, '')
  const errors =
    error instanceof ApiError ? (error.details as { errors?: unknown } | undefined)?.errors : undefined
  if (!Array.isArray(errors) || errors.length === 0) return message
  const parts = errors
    .slice(0, 3)
    .map((e: { path?: unknown; message?: unknown }) =>
      `${e.path === '/' ? '' : String(e.path ?? '')} ${String(e.message ?? '')}`.trim(),
    )
  return `${message}: ${parts.join('; ')}`
}
