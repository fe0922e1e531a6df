import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { IndexDeclaration } from '../indexes.ts'
import type { DocumentsRouteDeps } from './deps.ts'
import { collectionParams, errorResponse } from './schemas.ts'

const ruleField = {
  // boolean first: the gateway's ajv coerces types, and would turn true into "true" the other way round.
  anyOf: [{ type: 'boolean' }, { type: 'string' }],
  description: 'a CEL expression over auth, doc and request (or true/false); absent = false',
} as const

const indexField = {
  type: 'array',
  description: '[fieldPath, "asc"|"desc"]',
  minItems: 2,
  maxItems: 2,
  items: [{ type: 'string' }, { type: 'string', enum: ['asc', 'desc'] }],
} as const

const collectionInfo = {
  type: 'object',
  required: [
    'name',
    'configured',
    'rules',
    'schema',
    'indexes',
    'version',
    'createdAt',
    'updatedAt',
    'documentCount',
  ],
  additionalProperties: false,
  properties: {
    name: { type: 'string' },
    configured: { type: 'boolean' },
    rules: {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: { read: ruleField, create: ruleField, update: ruleField, delete: ruleField },
    },
    schema: { type: ['object', 'null'], additionalProperties: true },
    indexes: { type: 'array', items: { type: 'array' } },
    version: { type: ['integer', 'null'] },
    createdAt: { type: ['string', 'null'], format: 'date-time' },
    updatedAt: { type: ['string', 'null'], format: 'date-time' },
    documentCount: { type: 'integer' },
  },
} as const

const collectionResponse = {
  type: 'object',
  required: ['collection'],
  additionalProperties: false,
  properties: { collection: collectionInfo },
} as const

const listSchema = {
  tags: ['admin', 'db'],
  summary: 'Every collection that is configured or holds documents, with document counts',
  response: {
    200: {
      type: 'object',
      required: ['collections'],
      additionalProperties: false,
      properties: { collections: { type: 'array', items: collectionInfo } },
    },
    '4xx': errorResponse,
  },
} as const

const getSchema = {
  tags: ['admin', 'db'],
  summary: 'One collection’s configuration and document count',
  params: collectionParams,
  response: { 200: collectionResponse, '4xx': errorResponse },
} as const

/** Exported for the app-as-code manifest, which embeds its body. */
export const putSchema = {
  tags: ['admin', 'db'],
  summary: 'Set a collection’s rules, JSON Schema and declared indexes',
  description:
    'indexes: each entry one index, on one field ([path, dir]) or several ([[path, dir], …]); ' +
    'declared indexes are built before the configuration is saved (CONCURRENTLY on PostgreSQL).',
  params: collectionParams,
  body: {
    type: 'object',
    required: ['rules'],
    additionalProperties: false,
    properties: {
      rules: {
        type: 'object',
        additionalProperties: false,
        properties: { read: ruleField, create: ruleField, update: ruleField, delete: ruleField },
      },
      schema: { type: ['object', 'null'], additionalProperties: true, description: 'JSON Schema for data' },
      indexes: {
        type: 'array',
        maxItems: 64,
        items: { anyOf: [indexField, { type: 'array', minItems: 1, maxItems: 8, items: indexField }] },
      },
    },
  },
  response: { 200: collectionResponse, '4xx': errorResponse },
} as const

const deleteSchema = {
  tags: ['admin', 'db'],
  summary: 'Delete a collection: its configuration, then its documents in chunks (each with its events)',
  params: collectionParams,
  response: {
    200: {
      type: 'object',
      required: ['deleted'],
      additionalProperties: false,
      properties: { deleted: { type: 'integer', description: 'documents deleted' } },
    },
    '4xx': errorResponse,
  },
} as const

/** /admin/v1/collections: the service key's view of the document database. */
export async function adminCollectionRoutes(app: FastifyInstance, deps: DocumentsRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()

  r.get('/collections', { schema: listSchema }, async () => ({
    collections: await deps.service.listCollections(),
  }))

  r.get('/collections/:col', { schema: getSchema }, async (request) => ({
    collection: await deps.service.getCollection(request.params.col),
  }))

  r.put('/collections/:col', { schema: putSchema }, async (request) => ({
    collection: await deps.service.putCollection(request.params.col, {
      rules: request.body.rules,
      schema: request.body.schema as Record<string, unknown> | null | undefined,
      indexes: request.body.indexes as IndexDeclaration[] | undefined,
    }),
  }))

  r.delete('/collections/:col', { schema: deleteSchema }, async (request) =>
    deps.service.deleteCollection(request.params.col),
  )
}
