import { api } from './http.ts'

/** The kinds of resource a deployment manages (services/deployments/routes/schemas.ts). */
export type ResourceKind = 'collection' | 'bucket' | 'queue' | 'function' | 'authSettings' | 'authProvider'

/** One step of a deployment's plan. */
export interface DeploymentChange {
  action: 'create' | 'update' | 'delete' | 'rename'
  kind: ResourceKind
  name: string
  from?: string
  dataLoss: boolean
  fields?: string[]
}

/** A row of `GET /admin/v1/deployments`. */
export interface DeploymentSummary {
  id: string
  hash: string
  createdAt: string
  /** An admin's email, `apikey:<id>`, or `service`. */
  deployedBy: string
  changes: DeploymentChange[]
  rollbackOf: string | null
}

/** Whether a deployment applied a resource, and whether it changed outside one since. */
export interface ResourceState {
  kind: ResourceKind
  name: string
  managed: boolean
  drifted: boolean
  deploymentId?: string
}

export function listDeployments(
  query: { limit?: number; cursor?: string | null },
  signal?: AbortSignal,
): Promise<{ deployments: DeploymentSummary[]; nextCursor: string | null }> {
  return api('GET', '/admin/v1/deployments', { query, ...(signal ? { signal } : {}) })
}

/** The managed and drifted state of every resource (the live manifest it comes with is not kept). */
export async function liveResources(signal?: AbortSignal): Promise<ResourceState[]> {
  const { resources } = await api<{ resources: ResourceState[] }>(
    'GET',
    '/admin/v1/deployments/live',
    signal ? { signal } : {},
  )
  return resources
}
