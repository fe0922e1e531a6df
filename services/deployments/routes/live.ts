import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { DeploymentsRouteDeps } from './deps.ts'
import { changeSchema, errorResponse, manifestField } from './schemas.ts'

const liveSchema = {
  tags: ['admin', 'deployments'],
  summary: 'The live project as a manifest (for `stratus pull`), and which resources are managed or drifted',
  description:
    'A resource is `managed` once a deployment applied it, and `drifted` when it changed outside a deployment since (through the console or the admin API), or was deleted (then it is listed though absent from the manifest).',
  response: {
    200: {
      type: 'object',
      required: ['manifest', 'resources'],
      additionalProperties: false,
      properties: {
        manifest: manifestField,
        resources: {
          type: 'array',
          items: {
            type: 'object',
            required: ['kind', 'name', 'managed', 'drifted'],
            additionalProperties: false,
            properties: {
              kind: changeSchema.properties.kind,
              name: { type: 'string' },
              managed: { type: 'boolean' },
              drifted: { type: 'boolean' },
              deploymentId: { type: 'string', description: 'the last deployment that applied it' },
            },
          },
        },
      },
    },
    '4xx': errorResponse,
  },
} as const

/** GET /deployments/live. */
export async function liveRoutes(app: FastifyInstance, deps: DeploymentsRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.get('/deployments/live', { schema: liveSchema }, async () => {
    const { manifest, resources } = await deps.service.live()
    return { manifest: manifest as Record<string, unknown>, resources }
  })
}
