import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { FunctionsRouteDeps } from './deps.ts'
import { entrySchema, errorResponse, nameParams } from './schemas.ts'

const limits = {
  type: 'object',
  required: ['timeoutMs', 'memoryMb', 'concurrency', 'retries'],
  additionalProperties: false,
  properties: {
    timeoutMs: { type: 'integer' },
    memoryMb: { type: 'integer' },
    concurrency: { type: 'integer' },
    retries: { type: 'integer' },
  },
} as const

const listSchema = {
  tags: ['admin', 'functions'],
  summary: "A function's versions, newest first (without code or env)",
  params: nameParams,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
      cursor: {
        type: 'string',
        pattern: '^[0-9]{1,9}$',
        description: "The previous page's nextCursor (a version number: the page lists those below it)",
      },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['versions', 'nextCursor'],
      additionalProperties: false,
      properties: {
        versions: {
          type: 'array',
          items: {
            type: 'object',
            required: ['version', 'createdAt', 'codeSize', 'triggers', 'live'],
            additionalProperties: false,
            properties: {
              version: { type: 'integer' },
              createdAt: { type: 'string' },
              deployedBy: {
                type: 'string',
                description:
                  "The deploying admin's email, or `service` (the service key); absent on older versions",
              },
              codeSize: { type: 'integer', description: 'Bytes of code (UTF-8)' },
              triggers: { type: 'array', items: {} },
              live: { type: 'boolean', description: 'Whether this is the version triggers run' },
            },
          },
        },
        nextCursor: { type: ['string', 'null'] },
      },
    },
    '4xx': errorResponse,
  },
} as const

const getSchema = {
  tags: ['admin', 'functions'],
  summary: 'One version in full: code, env (values masked), triggers, limits',
  description:
    'Env values are never shown (each is `••••`); with `compareTo`, `envChanges` names the variables added, removed or changed since that version, for a diff view.',
  params: {
    type: 'object',
    required: ['name', 'version'],
    additionalProperties: false,
    properties: {
      name: nameParams.properties.name,
      version: { type: 'integer', minimum: 1, maximum: 2_147_483_647 },
    },
  },
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      compareTo: {
        type: 'integer',
        minimum: 1,
        maximum: 2_147_483_647,
        description: 'Another version: say which env variables differ from it',
      },
    },
  },
  response: {
    200: {
      type: 'object',
      required: [
        'name',
        'version',
        'live',
        'createdAt',
        'code',
        'codeSize',
        'env',
        'triggers',
        'limits',
        'entry',
      ],
      additionalProperties: false,
      properties: {
        name: { type: 'string' },
        version: { type: 'integer' },
        live: { type: 'boolean' },
        createdAt: { type: 'string' },
        deployedBy: { type: 'string' },
        code: { type: 'string' },
        codeSize: { type: 'integer' },
        env: {
          type: 'object',
          description: 'The variable names, each value shown as ••••',
          additionalProperties: { type: 'string' },
        },
        triggers: { type: 'array', items: {} },
        limits,
        entry: entrySchema,
        envChanges: {
          type: 'object',
          required: ['comparedTo', 'added', 'removed', 'changed'],
          additionalProperties: false,
          properties: {
            comparedTo: { type: 'integer' },
            added: { type: 'array', items: { type: 'string' } },
            removed: { type: 'array', items: { type: 'string' } },
            changed: { type: 'array', items: { type: 'string' } },
          },
        },
      },
    },
    '4xx': errorResponse,
  },
} as const

/** GET /functions/{name}/versions and GET /functions/{name}/versions/{version}. */
export async function adminVersionRoutes(app: FastifyInstance, deps: FunctionsRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.get('/functions/:name/versions', { schema: listSchema }, async (request) =>
    deps.service.versions(request.params.name, request.query),
  )
  r.get('/functions/:name/versions/:version', { schema: getSchema }, async (request) =>
    deps.service.version(request.params.name, request.params.version, request.query.compareTo),
  )
}
