import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { AuthRouteDeps } from './deps.ts'
import { readBinding, requestOrigin, setBinding } from './oauth-cookie.ts'
import { rateLimitFor } from './rate-limits.ts'
import { errorResponse } from './schemas.ts'

const authorizeSchema = {
  tags: ['auth'],
  summary: 'Start an OAuth/OIDC sign-in: 302 to the provider (PKCE, state, nonce)',
  querystring: {
    type: 'object',
    required: ['provider'],
    properties: {
      provider: { type: 'string', minLength: 1, maxLength: 64 },
      redirect_to: {
        type: 'string',
        minLength: 1,
        maxLength: 2048,
        description: 'where to come back to; must match the allow-list (default AUTH_SITE_URL)',
      },
    },
  },
  response: { 302: { type: 'null', description: 'to the provider' }, '4xx': errorResponse },
} as const

/** GET /authorize?provider=…&redirect_to=… */
export async function authorizeRoutes(app: FastifyInstance, deps: AuthRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.get(
    '/authorize',
    { schema: authorizeSchema, config: { rateLimit: rateLimitFor(deps.rateLimit, 'oauth') } },
    async (request, reply) => {
      const started = await deps.service.oauth.start({
        provider: request.query.provider,
        redirectTo: request.query.redirect_to,
        requestOrigin: requestOrigin(request),
        browserBinding: readBinding(request),
      })
      setBinding(request, reply, started.browserBinding, started.callbackUrl)
      return reply.header('cache-control', 'no-store').redirect(started.location, 302)
    },
  )
}
