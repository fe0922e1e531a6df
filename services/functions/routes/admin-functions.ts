import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { FunctionsRouteDeps } from './deps.ts'
import { errorResponse, nameParams, versionSchema } from './schemas.ts'

const listSchema = {
  tags: ['admin', 'functions'],
  summary: 'Every function with its live version',
  response: {
    200: {
      type: 'object',
      required: ['functions'],
      additionalProperties: false,
      properties: {
        functions: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name', 'version', 'triggers'],
            additionalProperties: false,
            properties: {
              name: { type: 'string' },
              version: { type: 'integer' },
              triggers: { type: 'array', items: {} },
              timeoutMs: { type: 'integer' },
              memoryMb: { type: 'integer' },
              concurrency: { type: 'integer' },
              retries: { type: 'integer' },
              updatedAt: { type: 'string' },
            },
          },
        },
      },
    },
    '4xx': errorResponse,
  },
} as const

const getSchema = {
  tags: ['admin', 'functions'],
  summary: 'A function: its live version and code, and every version',
  params: nameParams,
  response: {
    200: {
      type: 'object',
      required: ['name', 'version', 'code', 'versions'],
      additionalProperties: false,
      properties: {
        name: { type: 'string' },
        version: { type: 'integer' },
        code: { type: 'string' },
        createdAt: { type: 'string' },
        updatedAt: { type: 'string' },
        versions: { type: 'array', items: versionSchema },
      },
    },
    '4xx': errorResponse,
  },
} as const

const deleteSchema = {
  tags: ['admin', 'functions'],
  summary: 'Delete a function: every trigger stops; versions, executions and dead letters go',
  params: nameParams,
  response: { 204: { type: 'null' }, '4xx': errorResponse },
} as const

/** GET /functions, GET /functions/{name}, DELETE /functions/{name}. */
export async function adminFunctionRoutes(app: FastifyInstance, deps: FunctionsRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.get('/functions', { schema: listSchema }, async () => ({ functions: await deps.service.list() }))
  r.get('/functions/:name', { schema: getSchema }, async (request) => deps.service.get(request.params.name))
  r.delete('/functions/:name', { schema: deleteSchema }, async (request, reply) => {
    await deps.service.remove(request.params.name)
    return reply.code(204).send(null)
  })
}
