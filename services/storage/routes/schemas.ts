/**
 * JSON schemas shared by the storage routes (`as const`, so the type provider infers handler types).
 * Response schemas are allow-lists: the serializer drops anything they do not name (the blob version).
 */

export const objectSchema = {
  type: 'object',
  required: ['bucket', 'key', 'size', 'contentType', 'etag', 'metadata', 'createdAt', 'updatedAt'],
  additionalProperties: false,
  properties: {
    bucket: { type: 'string' },
    key: { type: 'string' },
    size: { type: 'integer' },
    contentType: { type: 'string' },
    etag: { type: 'string', description: 'hex SHA-256 of the bytes (the ETag header quotes it)' },
    metadata: { type: 'object', additionalProperties: { type: 'string' } },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const

const ruleField = { type: 'string', minLength: 1, maxLength: 4096 } as const

export const bucketSchema = {
  type: 'object',
  required: ['name', 'public', 'rules', 'maxFileSize', 'allowedContentTypes', 'createdAt', 'updatedAt'],
  additionalProperties: false,
  properties: {
    name: { type: 'string' },
    public: { type: 'boolean' },
    rules: {
      type: 'object',
      additionalProperties: false,
      properties: { read: ruleField, write: ruleField, delete: ruleField },
    },
    maxFileSize: { type: ['integer', 'null'] },
    allowedContentTypes: { type: 'array', items: { type: 'string' } },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const

export const bucketBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    public: { type: 'boolean' },
    rules: {
      type: 'object',
      additionalProperties: false,
      properties: { read: ruleField, write: ruleField, delete: ruleField },
      description: 'CEL over auth, object ({key,size,contentType,metadata}) and request; absent = deny',
    },
    maxFileSize: { type: ['integer', 'null'], minimum: 0 },
    allowedContentTypes: {
      type: 'array',
      maxItems: 100,
      items: { type: 'string', minLength: 1, maxLength: 255 },
    },
  },
} as const

export const bucketParams = {
  type: 'object',
  required: ['bucket'],
  properties: { bucket: { type: 'string', minLength: 1, maxLength: 63 } },
} as const

/** `/{bucket}/{key…}`: the key is the wildcard rest of the path. */
export const objectParams = {
  type: 'object',
  required: ['bucket', '*'],
  properties: {
    bucket: { type: 'string', minLength: 1, maxLength: 63 },
    // The title names the wildcard in the OpenAPI document (`{key}`).
    '*': { type: 'string', title: 'key', description: 'the object key (may contain /)' },
  },
} as const

/** The error envelope, for every 4xx a route documents. */
export const errorResponse = { $ref: 'Error#' } as const
