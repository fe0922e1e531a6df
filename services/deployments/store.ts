import { StratusError } from '../core/errors.ts'
import type { Sql } from '../db/database.ts'
import type { Change, Manifest, ResourceKind } from './manifest.ts'

/** A recorded deployment as the history lists it. */
export interface DeploymentSummary {
  id: string
  hash: string
  createdAt: string
  /** An admin's email, `apikey:<id>` for an API key, or `service` for the service key. */
  deployedBy: string
  changes: Change[]
  /** The deployment a rollback applied again, when this one is a rollback. */
  rollbackOf: string | null
}

/** A recorded deployment with its manifest (secret values masked). */
export interface DeploymentRecord extends DeploymentSummary {
  manifest: Manifest
}

/** A resource a deployment applied: managed from then on. */
export interface ManagedResource {
  kind: ResourceKind
  name: string
  deploymentId: string
  /** Of its live state right after that deployment; another one now means it drifted. */
  fingerprint: string
  protect: boolean
}

interface DeploymentRow extends Record<string, unknown> {
  id: string
  hash: string
  deployed_by: string
  changes: Change[]
  manifest?: Manifest
  rollback_of: string | null
  created_at: Date
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export const deploymentNotFound = (id: string) =>
  new StratusError('deployments/not-found', `No deployment ${JSON.stringify(id)}`)

function toSummary(row: DeploymentRow): DeploymentSummary {
  return {
    id: row.id,
    hash: row.hash,
    createdAt: row.created_at.toISOString(),
    deployedBy: row.deployed_by,
    changes: row.changes,
    rollbackOf: row.rollback_of,
  }
}

/** Tables `deployments` and `deployment_resources`. */
export class DeploymentStore {
  private readonly db: Sql

  constructor(db: Sql) {
    this.db = db
  }

  /** Records a deployment and what it now manages, in one transaction of `tx`. */
  async record(
    tx: Sql,
    deployment: Omit<DeploymentRecord, 'createdAt'>,
    managed: readonly Omit<ManagedResource, 'deploymentId'>[],
    released: readonly { kind: ResourceKind; name: string }[],
  ): Promise<DeploymentSummary> {
    const [row] = await tx.query<DeploymentRow>(
      `INSERT INTO deployments (id, hash, deployed_by, changes, manifest, rollback_of)
       VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6)
       RETURNING id, hash, deployed_by, changes, rollback_of, created_at`,
      [
        deployment.id,
        deployment.hash,
        deployment.deployedBy,
        JSON.stringify(deployment.changes),
        JSON.stringify(deployment.manifest),
        deployment.rollbackOf,
      ],
    )
    for (const resource of released) {
      await tx.query('DELETE FROM deployment_resources WHERE kind = $1 AND name = $2', [
        resource.kind,
        resource.name,
      ])
    }
    for (const resource of managed) {
      await tx.query(
        `INSERT INTO deployment_resources (kind, name, deployment_id, fingerprint, protect)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (kind, name) DO UPDATE SET deployment_id = EXCLUDED.deployment_id,
           fingerprint = EXCLUDED.fingerprint, protect = EXCLUDED.protect`,
        [resource.kind, resource.name, deployment.id, resource.fingerprint, resource.protect],
      )
    }
    return toSummary(row!)
  }

  /** A page of deployments, newest first; `cursor` is the last id of the page before. */
  async list(query: {
    limit: number
    cursor?: string
  }): Promise<{ deployments: DeploymentSummary[]; nextCursor: string | null }> {
    if (query.cursor !== undefined && !UUID.test(query.cursor)) {
      throw new StratusError('request/invalid', 'The cursor is not valid', { details: { field: 'cursor' } })
    }
    const rows = await this.db.query<DeploymentRow>(
      `SELECT id, hash, deployed_by, changes, rollback_of, created_at FROM deployments
       ${query.cursor ? 'WHERE id < $2' : ''} ORDER BY id DESC LIMIT $1`,
      query.cursor ? [query.limit + 1, query.cursor] : [query.limit + 1],
    )
    const page = rows.slice(0, query.limit)
    return {
      deployments: page.map(toSummary),
      nextCursor: rows.length > query.limit ? page[page.length - 1]!.id : null,
    }
  }

  /** One deployment with its manifest (404 `deployments/not-found`). */
  async get(id: string): Promise<DeploymentRecord> {
    const rows = UUID.test(id)
      ? await this.db.query<DeploymentRow>(
          `SELECT id, hash, deployed_by, changes, manifest, rollback_of, created_at FROM deployments WHERE id = $1`,
          [id],
        )
      : []
    if (!rows[0]) throw deploymentNotFound(id)
    return { ...toSummary(rows[0]), manifest: rows[0].manifest! }
  }

  /** Every managed resource. */
  async managed(): Promise<ManagedResource[]> {
    const rows = await this.db.query<{
      kind: ResourceKind
      name: string
      deployment_id: string
      fingerprint: string
      protect: boolean
    }>('SELECT kind, name, deployment_id, fingerprint, protect FROM deployment_resources')
    return rows.map((row) => ({
      kind: row.kind,
      name: row.name,
      deploymentId: row.deployment_id,
      fingerprint: row.fingerprint,
      protect: row.protect,
    }))
  }
}
