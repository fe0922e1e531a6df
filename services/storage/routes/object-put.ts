import type { Readable } from 'node:stream'
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { StorageRouteDeps } from './deps.ts'
import { metadataFromHeaders } from './http.ts'
import { errorResponse, objectParams, objectSchema } from './schemas.ts'

const putSchema = {
  tags: ['storage'],
  summary: 'Upload an object (raw body, streamed); replaces any object at the key',
  description:
    'The content-type header is kept; x-stratus-meta-* headers become metadata. Emits storage.object.created.',
  params: objectParams,
  response: { 200: objectSchema, '4xx': errorResponse },
} as const

/** PUT /object/{bucket}/{key…}: the body streams to the driver, never buffered whole. */
export async function objectPutRoutes(app: FastifyInstance, deps: StorageRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.put(
    '/object/:bucket/*',
    // Fastify's body limit is for parsed bodies; the object limit is enforced while streaming.
    { schema: putSchema, bodyLimit: Math.max(1, Math.min(deps.maxFileSize, Number.MAX_SAFE_INTEGER)) },
    async (request) => {
      const length = request.headers['content-length']
      const contentLength = length === undefined ? undefined : Number(length)
      const body = (request.body as Readable | undefined) ?? request.raw
      return deps.service.upload(request.auth, request.params.bucket, request.params['*'], body, {
        contentType: request.headers['content-type'],
        contentLength: Number.isSafeInteger(contentLength) ? contentLength : undefined,
        metadata: metadataFromHeaders(request),
      })
    },
  )
}
