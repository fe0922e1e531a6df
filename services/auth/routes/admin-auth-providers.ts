import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import { PRESETS } from '../oauth/presets.ts'
import type { AuthRouteDeps } from './deps.ts'
import { errorResponse } from './schemas.ts'

const urlField = { type: 'string', minLength: 1, maxLength: 2048 } as const

const nameParams = {
  type: 'object',
  required: ['name'],
  properties: {
    name: {
      type: 'string',
      pattern: '^[a-z0-9][a-z0-9_-]{0,63}$',
      description: 'the provider name apps pass to /auth/v1/authorize?provider=',
    },
  },
} as const

/** A provider as the admin API shows it: never its client secret. */
const providerSchema = {
  type: 'object',
  required: [
    'name',
    'type',
    'preset',
    'issuer',
    'authorizationUrl',
    'tokenUrl',
    'userinfoUrl',
    'clientId',
    'scopes',
    'createdAt',
    'updatedAt',
  ],
  additionalProperties: false,
  properties: {
    name: { type: 'string' },
    type: { type: 'string', enum: ['oidc', 'oauth2'] },
    preset: { type: ['string', 'null'], enum: [...PRESETS, null] },
    issuer: { type: ['string', 'null'] },
    authorizationUrl: { type: ['string', 'null'] },
    tokenUrl: { type: ['string', 'null'] },
    userinfoUrl: { type: ['string', 'null'] },
    clientId: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string' } },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const

/** Exported for the app-as-code manifest, which embeds its body. */
export const putSchema = {
  tags: ['admin', 'auth'],
  summary: 'Create or replace an OAuth 2.0 / OIDC sign-in provider (the client secret is stored encrypted)',
  params: nameParams,
  body: {
    type: 'object',
    required: ['clientId', 'clientSecret'],
    additionalProperties: false,
    properties: {
      type: { type: 'string', enum: ['oidc', 'oauth2'] },
      preset: { type: 'string', enum: PRESETS, description: 'fills type, URLs and scopes' },
      issuer: { ...urlField, description: 'oidc: endpoints are discovered from <issuer>/.well-known/…' },
      authorizationUrl: urlField,
      tokenUrl: urlField,
      userinfoUrl: urlField,
      clientId: { type: 'string', minLength: 1, maxLength: 512 },
      clientSecret: { type: 'string', minLength: 1, maxLength: 4096 },
      scopes: {
        type: 'array',
        maxItems: 50,
        items: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[^\\s]+$' },
      },
    },
  },
  response: { 200: providerSchema, '4xx': errorResponse },
} as const

const getSchema = {
  tags: ['admin', 'auth'],
  summary: 'One sign-in provider',
  params: nameParams,
  response: { 200: providerSchema, '4xx': errorResponse },
} as const

const listSchema = {
  tags: ['admin', 'auth'],
  summary: 'The sign-in providers',
  response: {
    200: {
      type: 'object',
      required: ['providers'],
      additionalProperties: false,
      properties: { providers: { type: 'array', items: providerSchema } },
    },
    '4xx': errorResponse,
  },
} as const

const deleteSchema = {
  tags: ['admin', 'auth'],
  summary: 'Remove a sign-in provider (linked identities stay on their users)',
  params: nameParams,
  response: { 204: { type: 'null' }, '4xx': errorResponse },
} as const

/** /admin/v1/auth/providers[/{name}]: PUT, GET, DELETE, and the list. */
export async function adminAuthProviderRoutes(app: FastifyInstance, deps: AuthRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  const providers = deps.service.oauth.providers

  r.put('/auth/providers/:name', { schema: putSchema }, async (request) =>
    providers.put(request.params.name, {
      ...request.body,
      scopes: request.body.scopes ? [...request.body.scopes] : undefined,
    }),
  )
  r.get('/auth/providers', { schema: listSchema }, async () => ({ providers: await providers.list() }))
  r.get('/auth/providers/:name', { schema: getSchema }, async (request) => providers.get(request.params.name))
  r.delete('/auth/providers/:name', { schema: deleteSchema }, async (request, reply) => {
    await providers.delete(request.params.name)
    return reply.code(204).send(null)
  })
}
