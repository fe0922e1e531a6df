import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { sendError } from '../../http/send-error.ts'
import type { ReadAccess, ReadResult } from '../service.ts'
import type { StorageRouteDeps } from './deps.ts'
import { setObjectHeaders } from './http.ts'
import { errorResponse, objectParams } from './schemas.ts'

const querystring = {
  type: 'object',
  properties: {
    expires: { type: 'string', description: 'signed URLs: unix seconds of expiry' },
    signature: { type: 'string', description: 'signed URLs: the signature' },
    download: {
      type: 'string',
      description: 'present: answer as an attachment (named by its value, if any)',
    },
  },
} as const

const getSchema = {
  tags: ['storage'],
  summary: 'Download an object (Range → 206, If-None-Match → 304); also through a signed URL',
  params: objectParams,
  querystring,
  response: {
    200: { description: 'The whole object, with its content-type, etag and length' },
    206: { description: 'The requested range (content-range says which)' },
    304: { description: 'Not modified: the object still has the etag in If-None-Match' },
    '4xx': errorResponse,
  },
} as const

const headSchema = { ...getSchema, summary: 'An object’s headers, without its bytes' } as const

const firstValue = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value)

type Query = { expires?: string; signature?: string; download?: string }

/** A signed URL carries `expires` and `signature`; anything else reads as the caller. */
function accessOf(request: FastifyRequest, query: Query): ReadAccess {
  if (query.signature !== undefined || query.expires !== undefined)
    return { signed: { expires: query.expires, signature: query.signature } }
  return { caller: request.auth }
}

function answer(reply: FastifyReply, result: ReadResult, query: Query): FastifyReply {
  const { object } = result
  setObjectHeaders(reply, object, { download: query.download ?? false })
  switch (result.kind) {
    case 'not-modified':
      return reply.code(304).send()
    case 'unsatisfiable':
      reply.header('content-range', `bytes */${object.size}`)
      reply.removeHeader('content-disposition')
      return sendError(
        reply,
        'storage/range-not-satisfiable',
        `The range is outside the object (${object.size} bytes)`,
      )
    case 'partial': {
      const { start, end } = result.range
      reply.code(206)
      reply.header('content-range', `bytes ${start}-${end}/${object.size}`)
      reply.header('content-length', end - start + 1)
      return reply.send(result.body)
    }
    case 'whole':
      reply.header('content-length', object.size)
      return reply.send(result.body)
  }
}

/** GET and HEAD /object/{bucket}/{key…}: streamed bytes with their headers. */
export async function objectGetRoutes(app: FastifyInstance, deps: StorageRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  const read = (head: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    const query = request.query as Query
    const params = request.params as { bucket: string; '*': string }
    const result = await deps.service.read(accessOf(request, query), params.bucket, params['*'], {
      head,
      ifNoneMatch: request.headers['if-none-match'],
      range: request.headers.range,
      ifRange: firstValue(request.headers['if-range']),
    })
    return answer(reply, result, query)
  }
  r.get('/object/:bucket/*', { schema: getSchema, exposeHeadRoute: false }, read(false))
  r.head(
    '/object/:bucket/*',
    { schema: headSchema, config: { swagger: { exposeHeadRoute: true } } },
    read(true),
  )
}
