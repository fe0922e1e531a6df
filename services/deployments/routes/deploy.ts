import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { DeploymentsRouteDeps } from './deps.ts'
import {
  deployedBy,
  deployOptionProperties,
  deployResultSchema,
  errorResponse,
  mayChangeProviders,
  onlyFunctions,
} from './schemas.ts'

const deploySchema = {
  tags: ['admin', 'deployments'],
  summary:
    'Plan a manifest against the live project and apply it, all or nothing (201), or only plan (dryRun: 200)',
  description:
    'The manifest is checked whole before anything changes: 400 `deployments/invalid-manifest` with `details.errors: [{path, message}]` (its schema, the services’ own checks, renames, triggers naming a queue, bucket or collection that will not exist), 400 `functions/invalid-trigger` with `details.path` and `details.suggestion`, 409 `deployments/protected`, 409 `deployments/data-loss` with `details.changes` (without allowDestroy), 400 `functions/invalid-code`; 403 `auth/forbidden` when a caller that may not change sign-in providers (a developer, an API key without `admin`) would, and when an API key without `admin` would change anything but functions. A dry run answers the plan without refusing data loss. Then the changes run with their undo remembered, deletes last; a failing step undoes the earlier ones. Every deploy that applies is recorded, an empty plan too.',
  body: {
    type: 'object',
    required: ['manifest'],
    additionalProperties: false,
    properties: {
      manifest: {
        type: 'object',
        description:
          'stratus.yaml in its wire form (each function’s `code` instead of `source`): see stratus.schema.json',
      },
      ...deployOptionProperties,
    },
  },
  response: { 200: deployResultSchema, 201: deployResultSchema, '4xx': errorResponse },
} as const

/** POST /deployments. */
export async function deployRoutes(app: FastifyInstance, deps: DeploymentsRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.post('/deployments', { schema: deploySchema, bodyLimit: deps.bodyLimit }, async (request, reply) => {
    const { manifest, ...options } = request.body
    const result = await deps.service.deploy(
      manifest,
      { ...options, mayChangeProviders: mayChangeProviders(request), onlyFunctions: onlyFunctions(request) },
      deployedBy(request),
    )
    return reply.code(options.dryRun ? 200 : 201).send(result)
  })
}
