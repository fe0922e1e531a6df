import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { StorageRouteDeps } from './deps.ts'
import { bucketBodySchema, bucketParams, bucketSchema, errorResponse } from './schemas.ts'

const putSchema = {
  tags: ['admin', 'storage'],
  summary: 'Create a bucket or replace its settings (201 when created)',
  params: bucketParams,
  body: bucketBodySchema,
  response: { 200: bucketSchema, 201: bucketSchema, '4xx': errorResponse },
} as const

const getSchema = {
  tags: ['admin', 'storage'],
  summary: 'A bucket’s settings',
  params: bucketParams,
  response: { 200: bucketSchema, '4xx': errorResponse },
} as const

const listSchema = {
  tags: ['admin', 'storage'],
  summary: 'Every bucket',
  response: {
    200: {
      type: 'object',
      required: ['buckets'],
      additionalProperties: false,
      properties: { buckets: { type: 'array', items: bucketSchema } },
    },
    '4xx': errorResponse,
  },
} as const

const deleteSchema = {
  tags: ['admin', 'storage'],
  summary: 'Delete an empty bucket',
  params: bucketParams,
  response: { 204: { type: 'null' }, '4xx': errorResponse },
} as const

/** /admin/v1/buckets: bucket settings, behind the service key. */
export async function adminBucketRoutes(app: FastifyInstance, deps: StorageRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.put(
    '/buckets/:bucket',
    {
      schema: putSchema,
      // A bare PUT (no body) creates a private bucket with the defaults.
      preValidation: async (request) => {
        request.body ??= {}
      },
    },
    async (request, reply) => {
      const { bucket, created } = await deps.service.buckets.put(request.params.bucket, request.body)
      return reply.code(created ? 201 : 200).send(bucket)
    },
  )
  r.get('/buckets', { schema: listSchema }, async () => ({ buckets: await deps.service.buckets.list() }))
  r.get('/buckets/:bucket', { schema: getSchema }, async (request) =>
    deps.service.buckets.get(request.params.bucket),
  )
  r.delete('/buckets/:bucket', { schema: deleteSchema }, async (request, reply) => {
    await deps.service.buckets.delete(request.params.bucket)
    return reply.code(204).send(null)
  })
}
