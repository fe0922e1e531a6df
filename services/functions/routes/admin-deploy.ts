import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { FunctionsRouteDeps } from './deps.ts'
import {
  entrySchema,
  errorResponse,
  nameAndVersion,
  nameParams,
  replayRangeProperties,
  triggerSchema,
} from './schemas.ts'

/** Exported for the app-as-code manifest, which embeds its body. */
export const deploySchema = {
  tags: ['admin', 'functions'],
  summary: 'Deploy a new immutable version of a function and make it live',
  description:
    "`code` is an ES module. Its default export `async (event, ctx) => result` runs on every trigger with the platform's CloudEvent. A module with no default export and a named `handler` is a portable, Lambda-style handler `async (event, context) => result`, which runs unchanged on AWS Lambda: an HTTP trigger hands it an API Gateway REST proxy event and answers with its `{statusCode, headers, multiValueHeaders, body, isBase64Encoded}` (any other result is 502 `functions/malformed-response`); a queue trigger hands it an SQS batch of one record and honours `{batchItemFailures}`; event and schedule triggers hand it the CloudEvent. Which export runs is decided here, once per version, and answered as `entry`. A module with neither export is 400 `functions/invalid-code`.",
  params: nameParams,
  body: {
    type: 'object',
    required: ['code', 'triggers'],
    additionalProperties: false,
    properties: {
      code: { type: 'string', minLength: 1, maxLength: 1_000_000 },
      env: {
        type: 'object',
        description:
          "ctx.env. A value of •••• (what the admin API shows for every value) keeps the live version's value of that variable",
        maxProperties: 200,
        propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$' },
        // No NUL: a process environment cannot hold one, and whether the database would refuse it
        // depended on whether values are encrypted at rest.
        additionalProperties: { type: 'string', maxLength: 10_000, pattern: '^[^\\u0000]*$' },
      },
      timeoutMs: { type: 'integer', minimum: 10, maximum: 900_000 },
      memoryMb: { type: 'integer', minimum: 8, maximum: 4096 },
      concurrency: { type: 'integer', minimum: 1, maximum: 1000 },
      retries: { type: 'integer', minimum: 0, maximum: 20 },
      triggers: { type: 'array', maxItems: 50, items: triggerSchema },
      backfill: {
        type: 'object',
        description:
          "Also run the new version over retained events from here (a replay of its event triggers' events, answered as `replay`)",
        additionalProperties: false,
        properties: {
          fromSequence: replayRangeProperties.fromSequence,
          fromTime: replayRangeProperties.fromTime,
        },
      },
    },
  },
  response: {
    201: {
      type: 'object',
      required: ['name', 'version', 'entry'],
      additionalProperties: false,
      properties: {
        name: { type: 'string' },
        version: { type: 'integer' },
        entry: entrySchema,
        replay: {
          type: 'object',
          description: 'The backfill started (with `backfill`): poll GET …/replays/{id}',
          required: ['id', 'total'],
          additionalProperties: false,
          properties: { id: { type: 'string' }, total: { type: 'integer' } },
        },
      },
    },
    '4xx': errorResponse,
  },
} as const

const rollbackSchema = {
  tags: ['admin', 'functions'],
  summary: 'Make an older version live again',
  params: nameParams,
  body: {
    type: 'object',
    required: ['version'],
    additionalProperties: false,
    properties: { version: { type: 'integer', minimum: 1 } },
  },
  response: { 200: nameAndVersion, '4xx': errorResponse },
} as const

/** PUT /functions/{name} (deploy) and POST /functions/{name}/rollback. */
export async function adminDeployRoutes(app: FastifyInstance, deps: FunctionsRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.put('/functions/:name', { schema: deploySchema }, async (request, reply) => {
    const body = request.body
    const caller = request.adminCaller
    const result = await deps.service.deploy(
      request.params.name,
      {
        ...body,
        triggers: body.triggers as Parameters<FunctionsRouteDeps['service']['deploy']>[1]['triggers'],
      },
      caller?.type === 'admin' ? caller.email : caller?.type,
    )
    return reply.code(201).send(result)
  })
  r.post('/functions/:name/rollback', { schema: rollbackSchema }, async (request) =>
    deps.service.rollback(request.params.name, request.body.version),
  )
}
