/** JSON Schemas shared by the functions routes (`as const`, so they also type the handlers). */

export const errorResponse = { $ref: 'Error#' } as const

export const nameParams = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: { name: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } },
} as const

export const triggerSchema = {
  oneOf: [
    {
      type: 'object',
      required: ['type'],
      additionalProperties: false,
      properties: { type: { const: 'http' }, public: { type: 'boolean' } },
    },
    {
      type: 'object',
      required: ['type', 'event'],
      additionalProperties: false,
      properties: {
        type: { const: 'event' },
        event: { type: 'string', minLength: 1, maxLength: 200 },
        subject: { type: 'string', minLength: 1, maxLength: 1000 },
      },
    },
    {
      type: 'object',
      required: ['type', 'cron'],
      additionalProperties: false,
      properties: {
        type: { const: 'schedule' },
        cron: { type: 'string', minLength: 9, maxLength: 200 },
        timezone: { type: 'string', minLength: 1, maxLength: 100 },
      },
    },
    {
      type: 'object',
      required: ['type', 'queue'],
      additionalProperties: false,
      properties: { type: { const: 'queue' }, queue: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,100}$' } },
    },
  ],
} as const

const logLine = {
  type: 'object',
  required: ['level', 'msg', 'time'],
  additionalProperties: false,
  properties: { level: { type: 'string' }, msg: { type: 'string' }, time: { type: 'string' } },
} as const

const errorInfo = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: { name: { type: 'string' }, message: { type: 'string' }, stack: { type: 'string' } },
} as const

export const originSchema = {
  type: 'object',
  description:
    'Why an operator ran it: `rerun` of an earlier execution, or `manual` (a schedule run by hand)',
  required: ['kind'],
  additionalProperties: false,
  properties: {
    kind: { type: 'string', enum: ['rerun', 'manual'] },
    sourceExecutionId: { type: 'string', description: 'For a rerun: the execution it repeats' },
  },
} as const

export const executionSchema = {
  type: 'object',
  required: [
    'id',
    'version',
    'trigger',
    'eventId',
    'status',
    'attempt',
    'startedAt',
    'durationMs',
    'logs',
    'error',
  ],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    version: { type: 'integer' },
    trigger: { type: 'string', description: 'http, event, schedule, queue, or replay' },
    eventId: {
      type: 'string',
      description:
        'Its idempotency key: the event id, or `<event id>.rerun.<n>` / `<event id>.replay.<replay id>` for reruns and forced replays',
    },
    status: { type: 'string', enum: ['succeeded', 'failed', 'timeout'] },
    attempt: { type: 'integer' },
    startedAt: { type: 'string' },
    durationMs: { type: 'number' },
    coldStart: { type: 'boolean' },
    logs: { type: 'array', items: logLine },
    error: errorInfo,
    origin: originSchema,
    traceId: {
      type: 'string',
      description: 'The trace it ran in (GET /admin/v1/traces/{traceId}); absent on older records',
    },
  },
} as const

/** Execution ids in URLs: UUIDv7 text. */
export const executionIdParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,100}$' } },
} as const

export const replayViewSchema = {
  type: 'object',
  required: ['id', 'status', 'total', 'processed', 'skipped', 'failed'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    function: { type: 'string' },
    version: { type: 'integer', description: 'The version it runs (live when the replay was asked for)' },
    status: { type: 'string', enum: ['running', 'done', 'cancelled', 'failed'] },
    force: { type: 'boolean' },
    fromSequence: { type: 'integer' },
    toSequence: { type: 'integer' },
    fromTime: { type: ['string', 'null'] },
    toTime: { type: ['string', 'null'] },
    total: { type: 'integer', description: 'Matching events in the range when the replay was asked for' },
    processed: { type: 'integer', description: 'Events run, whatever their outcome' },
    skipped: {
      type: 'integer',
      description: 'Events not run: this version had already handled them successfully',
    },
    failed: {
      type: 'integer',
      description: 'Events run whose execution failed or timed out (also in processed)',
    },
    error: { type: ['string', 'null'], description: 'Why a failed replay stopped' },
    createdAt: { type: 'string' },
    finishedAt: { type: ['string', 'null'] },
  },
} as const

/** Where a replay or a backfill starts and ends (sequences, or events' ISO times; inclusive). */
export const replayRangeProperties = {
  fromSequence: { type: 'integer', minimum: 1, description: 'First outbox sequence (or use fromTime)' },
  fromTime: {
    type: 'string',
    minLength: 1,
    maxLength: 40,
    description: 'First event time, ISO-8601 with a zone (or use fromSequence)',
  },
  toSequence: { type: 'integer', minimum: 1, description: 'Last sequence (default: the last one now)' },
  toTime: { type: 'string', minLength: 1, maxLength: 40, description: 'Last event time, ISO-8601' },
} as const

export const deadLetterSchema = {
  type: 'object',
  required: ['id', 'function', 'version', 'trigger', 'eventId', 'event', 'attempts', 'error', 'failedAt'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    function: { type: 'string' },
    version: { type: 'integer' },
    trigger: { type: 'string' },
    eventId: { type: 'string' },
    event: {},
    attempts: { type: 'integer' },
    error: {},
    queue: { type: ['string', 'null'] },
    failedAt: { type: 'string' },
  },
} as const

/** Which export of the module runs, as a deploy detected it. */
export const entrySchema = {
  type: 'string',
  enum: ['default', 'handler'],
  description:
    'Which export runs: `default` (`export default async (event, ctx) => result`), or `handler`, a portable Lambda-style `export const handler = async (event, context) => result` (a module with a `handler` export and no default one), which gets API Gateway proxy events on HTTP and SQS batches on queue triggers',
} as const

export const versionSchema = {
  type: 'object',
  required: [
    'version',
    'createdAt',
    'timeoutMs',
    'memoryMb',
    'concurrency',
    'retries',
    'triggers',
    'env',
    'entry',
  ],
  additionalProperties: false,
  properties: {
    version: { type: 'integer' },
    createdAt: { type: 'string' },
    timeoutMs: { type: 'integer' },
    memoryMb: { type: 'integer' },
    concurrency: { type: 'integer' },
    retries: { type: 'integer' },
    triggers: { type: 'array', items: {} },
    env: { type: 'object', additionalProperties: { type: 'string' } },
    entry: entrySchema,
  },
} as const

export const nameAndVersion = {
  type: 'object',
  required: ['name', 'version'],
  additionalProperties: false,
  properties: { name: { type: 'string' }, version: { type: 'integer' } },
} as const
