import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import { idParams } from './admin-users.ts'
import type { AuthRouteDeps } from './deps.ts'
import { errorResponse } from './schemas.ts'

const sessionInfo = {
  type: 'object',
  required: ['id', 'createdAt', 'refreshedAt', 'aal', 'expiresAt'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', description: 'the access tokens’ sid claim' },
    createdAt: { type: 'string', format: 'date-time', description: 'the sign-in' },
    refreshedAt: { type: ['string', 'null'], format: 'date-time', description: 'the last refresh' },
    aal: { type: 'string', enum: ['aal1', 'aal2'] },
    expiresAt: {
      type: 'string',
      format: 'date-time',
      description: 'when its refresh token lapses: the session ends then unless refreshed',
    },
  },
} as const

const listSchema = {
  tags: ['admin', 'auth'],
  summary: 'A user’s live sessions (refresh-token families), newest first',
  params: idParams,
  response: {
    200: {
      type: 'object',
      required: ['sessions'],
      additionalProperties: false,
      properties: { sessions: { type: 'array', items: sessionInfo } },
    },
    '4xx': errorResponse,
  },
} as const

const revokeSchema = {
  tags: ['admin', 'auth'],
  summary: 'Sign a user out everywhere: every live session ends',
  description:
    'Refresh tokens stop working at once; access tokens already issued stay valid until they expire ' +
    '(ACCESS_TOKEN_TTL_SECONDS), except on /auth/v1/user, which checks the session.',
  params: idParams,
  response: {
    200: {
      type: 'object',
      required: ['revoked'],
      additionalProperties: false,
      properties: { revoked: { type: 'integer', description: 'sessions ended' } },
    },
    '4xx': errorResponse,
  },
} as const

/** /admin/v1/users/{id}/sessions: list and revoke a user's sessions. */
export async function adminUserSessionRoutes(app: FastifyInstance, deps: AuthRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()

  r.get('/users/:id/sessions', { schema: listSchema }, async (request) => ({
    sessions: await deps.service.userSessions(request.params.id),
  }))

  r.delete('/users/:id/sessions', { schema: revokeSchema }, async (request) => ({
    revoked: await deps.service.revokeUserSessions(request.params.id),
  }))
}
