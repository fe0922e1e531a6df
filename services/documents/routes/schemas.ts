import type { FastifyReply } from 'fastify'
import { StratusError } from '../../core/errors.ts'
import type { Document } from '../documents.ts'

/**
 * JSON schemas shared by the document routes (`as const`, so the type provider infers handler types).
 * Names and ids are checked here (400 `request/invalid`); everything about the data itself (depth,
 * size, JSON Schema) is the service's, with its own codes.
 */

const NAME_PATTERN = '^[A-Za-z0-9_-]{1,128}$'

export const collectionParams = {
  type: 'object',
  required: ['col'],
  properties: { col: { type: 'string', pattern: NAME_PATTERN } },
} as const

export const documentParams = {
  type: 'object',
  required: ['col', 'id'],
  properties: {
    col: { type: 'string', pattern: NAME_PATTERN },
    id: { type: 'string', pattern: NAME_PATTERN },
  },
} as const

export const idField = { type: 'string', pattern: NAME_PATTERN } as const

export const dataField = {
  type: 'object',
  additionalProperties: true,
  description: 'the document’s data (any JSON object)',
} as const

/** The body of PUT and PATCH on a document: `{data}` and nothing else. */
export const dataBody = {
  type: 'object',
  required: ['data'],
  additionalProperties: false,
  properties: { data: dataField },
} as const

export const documentSchema = {
  type: 'object',
  required: ['id', 'collection', 'data', 'version', 'createdAt', 'updatedAt'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    collection: { type: 'string' },
    data: dataField,
    version: { type: 'integer', minimum: 1 },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const

export const ifMatchHeaders = {
  type: 'object',
  properties: {
    'if-match': { type: 'string', description: 'the version the write expects ("3" or 3)' },
  },
} as const

/** The error envelope, for every 4xx a route documents. */
export const errorResponse = { $ref: 'Error#' } as const

/** `Authorization: Bearer`, for the OpenAPI document. */
export const bearerSecurity = [{ bearer: [] }]

/** The version an `If-Match` header names (`3`, `"3"` or `W/"3"`), or undefined when absent. */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(header)
  if (!match) {
    throw new StratusError('request/invalid', 'If-Match must be a document version, e.g. "3"', {
      details: { header: 'if-match' },
    })
  }
  const version = Number(match[1])
  if (version < 1) throw new StratusError('request/invalid', 'If-Match must be a version of at least 1')
  return version
}

/** Sets the document's version as its ETag, so a client can send it back in If-Match. */
export function withEtag(reply: FastifyReply, document: Document): Document {
  reply.header('etag', `"${document.version}"`)
  return document
}
