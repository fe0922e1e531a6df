import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { AuthRouteDeps } from './deps.ts'
import { errorResponse } from './schemas.ts'

/** Exported for the app-as-code manifest, which embeds it. */
export const settingsSchema = {
  type: 'object',
  required: ['redirectUrls'],
  additionalProperties: false,
  properties: {
    redirectUrls: {
      type: 'array',
      maxItems: 200,
      items: { type: 'string', minLength: 1, maxLength: 2048 },
      description:
        'allowed OAuth redirect_to values, exact URLs or globs (`*` within a host label or path segment, `**` any path); added to AUTH_REDIRECT_URLS',
    },
  },
} as const

/** GET and PUT /admin/v1/auth/settings. */
export async function adminAuthSettingsRoutes(app: FastifyInstance, deps: AuthRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.get(
    '/auth/settings',
    {
      schema: {
        tags: ['admin', 'auth'],
        summary: 'Auth settings stored in the database',
        response: { 200: settingsSchema, '4xx': errorResponse },
      },
    },
    async () => deps.service.oauth.settings(),
  )
  r.put(
    '/auth/settings',
    {
      schema: {
        tags: ['admin', 'auth'],
        summary: 'Replace the auth settings stored in the database',
        body: settingsSchema,
        response: { 200: settingsSchema, '4xx': errorResponse },
      },
    },
    async (request) => deps.service.oauth.updateSettings({ redirectUrls: [...request.body.redirectUrls] }),
  )
}
