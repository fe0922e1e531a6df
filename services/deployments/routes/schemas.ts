import type { FastifyRequest } from 'fastify'

/** JSON schemas shared by the deployments routes (`as const`, so they also type the handlers). */

export const errorResponse = { $ref: 'Error#' } as const

export const changeSchema = {
  type: 'object',
  required: ['action', 'kind', 'name', 'dataLoss'],
  additionalProperties: false,
  properties: {
    action: { type: 'string', enum: ['create', 'update', 'delete', 'rename'] },
    kind: {
      type: 'string',
      enum: ['collection', 'bucket', 'queue', 'function', 'authSettings', 'authProvider'],
    },
    name: { type: 'string' },
    from: { type: 'string', description: 'a rename: the name it had' },
    dataLoss: {
      type: 'boolean',
      description: 'deletes documents, objects or messages, a function or a sign-in provider',
    },
    fields: { type: 'array', items: { type: 'string' }, description: 'an update: the settings that change' },
  },
} as const

export const summaryProperties = {
  id: { type: 'string' },
  hash: { type: 'string', description: 'sha256 (hex) of the manifest as posted, keys sorted' },
  createdAt: { type: 'string', format: 'date-time' },
  deployedBy: {
    type: 'string',
    description: 'an admin’s email, `apikey:<id>` for an API key, or `service` for the service key',
  },
  changes: { type: 'array', items: changeSchema },
  rollbackOf: { type: ['string', 'null'], description: 'the deployment a rollback applied again' },
} as const

export const summarySchema = {
  type: 'object',
  required: ['id', 'hash', 'createdAt', 'deployedBy', 'changes', 'rollbackOf'],
  additionalProperties: false,
  properties: summaryProperties,
} as const

/** A manifest in an answer: env values and client secrets masked (see stratus.schema.json for its shape). */
export const manifestField = {
  type: 'object',
  additionalProperties: true,
  description: 'the wire form of stratus.yaml (functions carry `code`), secrets masked as ••••',
} as const

export const idParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
} as const

export const deployOptionProperties = {
  allowDestroy: {
    type: 'boolean',
    description: 'allow changes that lose data (else 409 deployments/data-loss)',
  },
  prune: { type: 'boolean', description: 'delete live resources the manifest does not name' },
  dryRun: {
    type: 'boolean',
    description:
      'plan only: answer 200 {hash, changes} with data-loss steps marked (not refused), change and record nothing',
  },
} as const

export const deployResultSchema = {
  type: 'object',
  required: ['hash', 'changes'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', description: 'the recorded deployment (absent on a dry run)' },
    hash: summaryProperties.hash,
    changes: { type: 'array', items: changeSchema },
  },
} as const

/**
 * Whether the caller may change sign-in providers, as PUT /admin/v1/auth/providers decides it: owners,
 * the service key, and API keys with the `admin` scope.
 */
export function mayChangeProviders(request: FastifyRequest): boolean {
  const caller = request.adminCaller
  if (caller?.type === 'admin') return caller.role === 'owner'
  if (caller?.id === undefined) return true
  const scopes = request.auth?.claims.scopes
  return Array.isArray(scopes) && scopes.includes('admin')
}

/** True for an API key without the `admin` scope: its deployments may change functions only. */
export function onlyFunctions(request: FastifyRequest): boolean {
  const caller = request.adminCaller
  if (caller?.type === 'admin' || caller?.id === undefined) return false
  const scopes = request.auth?.claims.scopes
  return !(Array.isArray(scopes) && scopes.includes('admin'))
}

/** Who deploys: an admin by email, an API key as `apikey:<id>`, else the service key. */
export function deployedBy(request: FastifyRequest): string {
  const caller = request.adminCaller
  if (caller?.type === 'admin') return caller.email
  return caller?.id ?? 'service'
}
