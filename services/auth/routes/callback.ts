import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { AuthRouteDeps } from './deps.ts'
import { readBinding } from './oauth-cookie.ts'
import { errorResponse } from './schemas.ts'

const callbackSchema = {
  tags: ['auth'],
  summary: 'Where the provider sends the browser back: 302 to redirect_to with #access_token=… or #error=…',
  querystring: {
    type: 'object',
    additionalProperties: { type: 'string', maxLength: 4096 },
    properties: {
      code: { type: 'string', maxLength: 4096 },
      state: { type: 'string', maxLength: 512 },
      error: { type: 'string', maxLength: 256 },
      error_description: { type: 'string', maxLength: 4096 },
    },
  },
  response: {
    302: { type: 'null', description: 'to redirect_to, with the session or the error in the fragment' },
    '4xx': errorResponse,
  },
} as const

/**
 * GET /callback?code&state. Every outcome of a known flow is a redirect to its `redirect_to`; an
 * unknown, spent or tampered `state` has no trusted destination: it goes to AUTH_SITE_URL with the
 * error when that is set, else answers 400 `auth/invalid-state`.
 */
export async function callbackRoutes(app: FastifyInstance, deps: AuthRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.get('/callback', { schema: callbackSchema }, async (request, reply) => {
    reply.header('cache-control', 'no-store')
    const query: Record<string, string> = {}
    for (const [key, value] of Object.entries(request.query))
      if (typeof value === 'string') query[key] = value
    const location = await deps.service.oauth.finish({ query, browserBinding: readBinding(request) })
    return reply.redirect(location, 302)
  })
}
