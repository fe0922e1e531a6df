import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { SIMULATED_OPERATIONS } from '../../rules/simulation.ts'
import type { RulesSimulator, SimulatedAuth } from '../rules-simulator.ts'
import { errorResponse } from './schemas.ts'

/** What the rules routes need. */
export interface RulesRouteDeps {
  simulator: RulesSimulator
}

const position = {
  type: 'object',
  required: ['line', 'column', 'offset'],
  additionalProperties: false,
  properties: {
    line: { type: 'integer', description: 'from 1' },
    column: { type: 'integer', description: 'from 1' },
    offset: { type: 'integer', description: 'from 0, in UTF-16 code units (as JavaScript strings count)' },
  },
} as const

const problem = {
  type: 'object',
  required: ['message', 'position'],
  additionalProperties: false,
  properties: {
    message: { type: 'string' },
    position,
    end: { ...position, description: 'where the faulty part ends (exclusive), when known' },
  },
} as const

const simulateSchema = {
  tags: ['admin', 'rules'],
  summary: 'What a collection or bucket rule would decide for a caller, and why',
  description:
    'Runs the stored rule for the operation through the evaluator and rule lookup the data path uses. ' +
    '`auth`: null (anon), `{uid}` (that user, with the claims a fresh session of theirs carries; `claims` ' +
    'are laid over them) or `{claims}` (a made-up signed-in caller). `doc`/`object` is the stored document ' +
    'or object at `id`/`key`, or `existing` when given. `data` is `request.data` of a document write (the ' +
    'document as it would be written), or what an upload declares (`{size, contentType, metadata}`). ' +
    'Reads only: viewers may call it, and it leaves no audit entry.',
  body: {
    type: 'object',
    required: ['target', 'operation', 'auth'],
    additionalProperties: false,
    properties: {
      target: { type: 'string', enum: ['document', 'object'] },
      collection: { type: 'string', minLength: 1, maxLength: 128, description: 'target document' },
      id: {
        type: 'string',
        minLength: 1,
        maxLength: 128,
        description: 'target document: the stored one to use',
      },
      bucket: { type: 'string', minLength: 1, maxLength: 128, description: 'target object' },
      key: { type: 'string', minLength: 1, maxLength: 1024, description: 'target object (all but list)' },
      operation: {
        type: 'string',
        enum: SIMULATED_OPERATIONS,
        description:
          'documents: list uses the read rule, write (PUT) the update or create rule; objects: list uses read, create/update/write the write rule',
      },
      auth: {
        type: ['object', 'null'],
        additionalProperties: false,
        properties: {
          uid: { type: 'string', minLength: 1, maxLength: 128 },
          claims: { type: 'object', additionalProperties: true },
        },
      },
      data: { type: 'object', additionalProperties: true },
      existing: { type: 'object', additionalProperties: true },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['allowed', 'rule', 'action', 'explanation', 'bindings', 'missing', 'auth'],
      additionalProperties: false,
      properties: {
        allowed: { type: 'boolean' },
        rule: {
          type: ['string', 'null'],
          description: 'the rule expression that decided; null when none did',
        },
        action: {
          type: ['string', 'null'],
          description: 'which stored rule applies (read, create, update, delete, write)',
        },
        fallback: { type: 'string', description: 'why that rule, when it is not named like the operation' },
        explanation: { type: 'string' },
        decidedBy: {
          type: 'object',
          required: ['expression', 'start', 'end', 'value'],
          additionalProperties: false,
          description:
            'the part that settled the outcome: a side of && or ||, a branch of ?:, or the whole rule',
          properties: {
            expression: { type: 'string' },
            start: position,
            end: position,
            value: { type: ['boolean', 'null'], description: 'null: an error or a non-boolean' },
          },
        },
        bindings: {
          type: 'object',
          additionalProperties: true,
          description: 'each variable path the rule mentions (auth.uid, doc.owner…) and its value',
        },
        missing: {
          type: 'array',
          items: { type: 'string' },
          description: 'paths the rule mentions that are absent (reading one fails: the rule denies)',
        },
        error: { ...problem, description: 'the stored rule does not compile, or its evaluation failed' },
        perItem: {
          type: 'boolean',
          description: 'a list whose rule depends on each item: it runs and leaves out what the rule refuses',
        },
        auth: {
          type: ['object', 'null'],
          required: ['uid', 'role', 'email', 'claims'],
          additionalProperties: false,
          description: 'the caller as the rule saw it (null: anon)',
          properties: {
            uid: { type: 'string' },
            role: { type: 'string' },
            email: { type: ['string', 'null'] },
            claims: { type: 'object', additionalProperties: true },
          },
        },
      },
    },
    '4xx': errorResponse,
  },
} as const

const checkSchema = {
  tags: ['admin', 'rules'],
  summary: 'Whether an expression would be accepted as a rule, and where its error is',
  description:
    'The check saving a collection or bucket makes (syntax, known variables, a boolean type), without ' +
    'saving anything. 200 either way: `{ok: true}` or `{ok: false, error: {message, position, end?}}`.',
  body: {
    type: 'object',
    required: ['expression'],
    additionalProperties: false,
    properties: { expression: { type: 'string', maxLength: 10_000 } },
  },
  response: {
    200: {
      type: 'object',
      required: ['ok'],
      additionalProperties: false,
      properties: { ok: { type: 'boolean' }, error: problem },
    },
    '4xx': errorResponse,
  },
} as const

/** POST /rules/simulate and POST /rules/check, mounted under `/admin/v1` (any admin role). */
export function rulesAdminRoutes(deps: RulesRouteDeps): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    const r = app.withTypeProvider<JsonSchemaToTsProvider>()
    r.post('/rules/simulate', { schema: simulateSchema }, async (request) =>
      deps.simulator.simulate({
        ...request.body,
        auth: request.body.auth as SimulatedAuth,
        data: request.body.data as Record<string, unknown> | undefined,
        existing: request.body.existing as Record<string, unknown> | undefined,
      }),
    )
    r.post('/rules/check', { schema: checkSchema }, async (request) =>
      deps.simulator.check(request.body.expression),
    )
  }
}
