import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import { totpEnrollmentSchema } from '../../auth/routes/schemas.ts'
import { signedInAdmin } from './caller.ts'
import type { AdminRouteDeps } from './deps.ts'
import { errorResponse, idParams } from './schemas.ts'

const enrollSchema = {
  tags: ['admin', 'admin accounts'],
  summary:
    'Start a TOTP enrolment for the signed-in admin: the secret (and its otpauth:// URI) is shown once',
  body: {
    type: ['object', 'null'],
    additionalProperties: false,
    properties: { type: { type: 'string', enum: ['totp'] } },
  },
  response: {
    201: totpEnrollmentSchema,
    '4xx': errorResponse,
  },
} as const

const verifySchema = {
  tags: ['admin', 'admin accounts'],
  summary: 'Turn TOTP on with a first code: from then on, sign-in needs a code',
  params: idParams,
  body: {
    type: 'object',
    required: ['code'],
    additionalProperties: false,
    properties: { code: { type: 'string', minLength: 1, maxLength: 16 } },
  },
  response: {
    200: {
      type: 'object',
      required: ['id', 'status'],
      additionalProperties: false,
      properties: { id: { type: 'string' }, status: { type: 'string', enum: ['verified'] } },
    },
    '4xx': errorResponse,
  },
} as const

const removeSchema = {
  tags: ['admin', 'admin accounts'],
  summary: "Remove the signed-in admin's TOTP factor",
  params: idParams,
  response: { 204: { type: 'null' }, '4xx': errorResponse },
} as const

/** /session/factors: an admin's own TOTP enrolment (an owner can also reset it: PATCH /admins/{id} {mfa:false}). */
export async function sessionFactorRoutes(app: FastifyInstance, deps: AdminRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  const max = deps.rateLimit.mfa
  const rateLimit =
    max === 0
      ? undefined
      : {
          max,
          timeWindow: deps.rateLimit.windowSeconds * 1000,
          keyGenerator: (req: { ip: string; adminCaller: { type: string; id?: string } | null }) =>
            req.adminCaller?.type === 'admin' ? `admin-mfa:${req.adminCaller.id}` : `admin-mfa:${req.ip}`,
        }

  r.post('/session/factors', { schema: enrollSchema }, async (request, reply) => {
    const factor = await deps.service.enrollFactor(signedInAdmin(request).id)
    return reply.code(201).send(factor)
  })

  r.post('/session/factors/:id/verify', { schema: verifySchema, config: { rateLimit } }, async (request) =>
    deps.service.verifyFactor(signedInAdmin(request).id, request.params.id, request.body.code),
  )

  r.delete('/session/factors/:id', { schema: removeSchema }, async (request, reply) => {
    await deps.service.removeFactor(signedInAdmin(request).id, request.params.id)
    return reply.code(204).send(null)
  })
}
