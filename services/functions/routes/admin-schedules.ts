import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { FunctionsRouteDeps } from './deps.ts'
import { errorResponse, nameParams } from './schemas.ts'

const listSchema = {
  tags: ['admin', 'functions'],
  summary: 'Every schedule trigger of the live functions, with its next ticks and last run',
  description:
    'nextRuns are the next 5 ticks in the trigger’s time zone, computed as the job queue fires them (services/core/cron.ts).',
  response: {
    200: {
      type: 'object',
      required: ['schedules'],
      additionalProperties: false,
      properties: {
        schedules: {
          type: 'array',
          items: {
            type: 'object',
            required: ['function', 'version', 'index', 'cron', 'timezone', 'nextRuns', 'lastRun'],
            additionalProperties: false,
            properties: {
              function: { type: 'string' },
              version: { type: 'integer', description: 'The live version' },
              index: { type: 'integer', description: "The trigger's position in the version's triggers" },
              cron: { type: 'string' },
              timezone: { type: 'string', description: 'IANA name (UTC when the trigger names none)' },
              nextRuns: { type: 'array', items: { type: 'string' }, description: 'ISO times' },
              lastRun: {
                type: ['object', 'null'],
                description:
                  "The function's newest execution started by a schedule (a tick or a run by hand)",
                required: ['at', 'executionId', 'status'],
                additionalProperties: false,
                properties: {
                  at: { type: 'string' },
                  executionId: { type: 'string' },
                  status: { type: 'string', enum: ['succeeded', 'failed', 'timeout'] },
                },
              },
            },
          },
        },
      },
    },
    '4xx': errorResponse,
  },
} as const

const runSchema = {
  tags: ['admin', 'functions'],
  summary: "Run a function's schedule trigger now, once",
  description:
    'One execution with trigger `schedule`, its tick event marked `manual: true`, recorded as run by hand (origin `manual`); one attempt, no retry or dead letter. `index` picks the trigger when there are several (default: the first).',
  params: {
    type: 'object',
    required: ['function'],
    additionalProperties: false,
    properties: { function: nameParams.properties.name },
  },
  body: {
    type: ['object', 'null'],
    additionalProperties: false,
    properties: { index: { type: 'integer', minimum: 0, maximum: 49 } },
  },
  response: {
    202: {
      type: 'object',
      required: ['executionId'],
      additionalProperties: false,
      properties: { executionId: { type: 'string' } },
    },
    '4xx': errorResponse,
  },
} as const

/** GET /schedules and POST /schedules/{function}/run. */
export async function adminScheduleRoutes(app: FastifyInstance, deps: FunctionsRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.get('/schedules', { schema: listSchema }, async () => ({ schedules: await deps.service.schedules() }))
  r.post('/schedules/:function/run', { schema: runSchema }, async (request, reply) =>
    reply.code(202).send(await deps.service.runSchedule(request.params.function, request.body?.index)),
  )
}
