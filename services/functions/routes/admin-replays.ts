import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { FunctionsRouteDeps } from './deps.ts'
import { errorResponse, nameParams, replayRangeProperties, replayViewSchema } from './schemas.ts'

const replayParams = {
  type: 'object',
  required: ['name', 'id'],
  additionalProperties: false,
  properties: { name: nameParams.properties.name, id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,100}$' } },
} as const

const startSchema = {
  tags: ['admin', 'functions'],
  summary: "Replay retained events through a function's live version (a backfill)",
  description:
    'Runs the live version over the outbox events its event triggers match, in sequence order, at FUNCTIONS_REPLAY_RATE events per second, once each (no retries): an event this version already handled successfully is skipped unless `force`. Give a start (fromSequence or fromTime) and optionally an end (toSequence or toTime; default: the last event now). A worker node runs it; progress at GET …/replays/{id}. `dryRun` only counts the events.',
  params: nameParams,
  body: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...replayRangeProperties,
      dryRun: { type: 'boolean', description: 'Only count the events (200 {total})' },
      force: { type: 'boolean', description: 'Also run events this version already handled successfully' },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['total'],
      additionalProperties: false,
      properties: { total: { type: 'integer', description: 'Matching events in the range' } },
    },
    202: {
      type: 'object',
      required: ['id', 'total'],
      additionalProperties: false,
      properties: { id: { type: 'string' }, total: { type: 'integer' } },
    },
    '4xx': errorResponse,
  },
} as const

const getSchema = {
  tags: ['admin', 'functions'],
  summary: "A replay's progress",
  params: replayParams,
  response: { 200: replayViewSchema, '4xx': errorResponse },
} as const

const cancelSchema = {
  tags: ['admin', 'functions'],
  summary: 'Cancel a running replay (executions in flight finish); a finished one is answered as it is',
  params: replayParams,
  response: { 200: replayViewSchema, '4xx': errorResponse },
} as const

/** POST /functions/{name}/replay, GET and DELETE /functions/{name}/replays/{id}. */
export async function adminReplayRoutes(app: FastifyInstance, deps: FunctionsRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.post('/functions/:name/replay', { schema: startSchema }, async (request, reply) => {
    const { id, total } = await deps.service.replay(request.params.name, request.body)
    return id === undefined ? reply.code(200).send({ total }) : reply.code(202).send({ id, total })
  })
  r.get('/functions/:name/replays/:id', { schema: getSchema }, async (request) =>
    deps.service.getReplay(request.params.name, request.params.id),
  )
  r.delete('/functions/:name/replays/:id', { schema: cancelSchema }, async (request) =>
    deps.service.cancelReplay(request.params.name, request.params.id),
  )
}
