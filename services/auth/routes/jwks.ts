import type { FastifyInstance } from 'fastify'
import type { AuthRouteDeps } from './deps.ts'

const jwksSchema = {
  tags: ['auth'],
  summary: 'The public keys that verify access tokens (JWKS)',
  response: {
    200: {
      type: 'object',
      required: ['keys'],
      properties: {
        keys: {
          type: 'array',
          items: {
            type: 'object',
            required: ['kty', 'kid'],
            // Only public members are named: even a misfiled private JWK could not leak `d`.
            additionalProperties: false,
            properties: {
              kty: { type: 'string' },
              crv: { type: 'string' },
              x: { type: 'string' },
              y: { type: 'string' },
              n: { type: 'string' },
              e: { type: 'string' },
              kid: { type: 'string' },
              alg: { type: 'string' },
              use: { type: 'string' },
            },
          },
        },
      },
    },
  },
} as const

/** GET /.well-known/jwks.json: any JOSE library verifies our access tokens against it. */
export async function jwksRoutes(app: FastifyInstance, deps: AuthRouteDeps): Promise<void> {
  app.get('/.well-known/jwks.json', { schema: jwksSchema }, async (_request, reply) => {
    // Short cache: a rotation shows up within a minute, and verifiers refetch on an unknown kid anyway.
    reply.header('cache-control', 'public, max-age=60')
    return deps.service.jwks()
  })
}
