import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { StorageRouteDeps } from './deps.ts'
import { encodeKey } from './http.ts'
import { errorResponse, objectParams } from './schemas.ts'

const signSchema = {
  tags: ['storage'],
  summary: 'Sign a GET URL for an object the caller may read',
  params: objectParams,
  body: {
    type: 'object',
    required: ['expiresIn'],
    additionalProperties: false,
    properties: {
      expiresIn: { type: 'integer', minimum: 1, maximum: 365 * 24 * 3600, description: 'seconds' },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['url', 'path', 'expiresAt'],
      additionalProperties: false,
      properties: {
        url: { type: 'string', description: 'absolute URL: a GET works with no other credentials' },
        path: { type: 'string', description: 'the same URL without scheme and host' },
        expiresAt: { type: 'string', format: 'date-time' },
      },
    },
    '4xx': errorResponse,
  },
} as const

/** POST /sign/{bucket}/{key…} {expiresIn} → {url}. */
export async function signRoutes(app: FastifyInstance, deps: StorageRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  const prefix = deps.signedUrlPrefix ?? app.prefix
  r.post('/sign/:bucket/*', { schema: signSchema }, async (request) => {
    const signed = await deps.service.sign(
      request.auth,
      request.params.bucket,
      request.params['*'],
      request.body.expiresIn,
    )
    const query = new URLSearchParams({ expires: String(signed.expires), signature: signed.signature })
    const path = `${prefix}/object/${encodeURIComponent(signed.bucket)}/${encodeKey(signed.key)}?${query}`
    return {
      url: `${request.protocol}://${request.host}${path}`,
      path,
      expiresAt: new Date(signed.expires * 1000).toISOString(),
    }
  })
}
