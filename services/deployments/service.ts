import { StratusError } from '../core/errors.ts'
import { newEventId } from '../core/ids.ts'
import type { Logger } from '../core/logger.ts'
import type { Database } from '../db/database.ts'
import type { DeployInput } from '../functions/model.ts'
import { applyChanges } from './apply.ts'
import { canonicalHash } from './canonical.ts'
import { readDesired } from './desired.ts'
import { type LiveSnapshot, liveManifest, type ProjectServices, readLive, resourceKey } from './live.ts'
import {
  type Change,
  type DeployResult,
  type Manifest,
  type ManifestProblem,
  type ResourceKind,
  validateManifest,
} from './manifest.ts'
import { maskManifest } from './mask.ts'
import { KIND_ORDER, missingReferences, namesAfter, plan } from './plan.ts'
import { type DeploymentRecord, DeploymentStore, type DeploymentSummary } from './store.ts'

/** One process at a time deploys, across every node sharing the database. */
const DEPLOY_LOCK = 727_274_016

/** What a deploy asks for besides the manifest. */
export interface DeployOptions {
  allowDestroy?: boolean
  prune?: boolean
  dryRun?: boolean
  /**
   * False for a caller who may not change sign-in providers (a developer admin, an API key without the
   * `admin` scope): PUT and DELETE on /admin/v1/auth/providers are the owners', and a deployment is no
   * way around that. Absent: allowed.
   */
  mayChangeProviders?: boolean
  /**
   * True for an API key whose only admin scope is `functions:deploy`: it deploys functions, and a
   * manifest is no way to also change rules, buckets, queues or auth with it. Absent: anything.
   */
  onlyFunctions?: boolean
}

/** A live resource with whether deployments manage it and whether it changed since. */
export interface LiveResourceStatus {
  kind: ResourceKind
  name: string
  /** Applied by a deployment (and not deleted since by one). */
  managed: boolean
  /** Managed, and changed outside a deployment since (or gone). */
  drifted: boolean
  /** The last deployment that applied it. */
  deploymentId?: string
}

const invalidManifest = (errors: readonly ManifestProblem[]) =>
  new StratusError(
    'deployments/invalid-manifest',
    `The manifest is invalid: ${errors
      .slice(0, 3)
      .map((e) => `${e.path} ${e.message}`)
      .join('; ')}${errors.length > 3 ? ` (and ${errors.length - 3} more)` : ''}`,
    { details: { errors } },
  )

/**
 * App-as-code deployments: plans a manifest against the live project, applies it all or nothing (see
 * apply.ts for how), records it, and tells managed resources from drifted ones. Knows nothing of HTTP.
 */
export class DeploymentsService {
  private readonly db: Database
  private readonly services: ProjectServices
  private readonly logger: Logger
  readonly store: DeploymentStore

  constructor(options: { db: Database; services: ProjectServices; logger: Logger }) {
    this.db = options.db
    this.services = options.services
    this.logger = options.logger
    this.store = new DeploymentStore(options.db)
  }

  /**
   * Plans `manifest` and, unless `dryRun`, applies and records it. Refusals, in order: 400
   * `deployments/invalid-manifest` (schema, services' checks, renames, trigger references), 400
   * `functions/invalid-trigger`, 409 `deployments/protected`, 409 `deployments/data-loss` (without
   * allowDestroy; a dry run answers the plan, its data-loss steps marked), 400 `functions/invalid-code`;
   * each before anything changes.
   */
  deploy(
    manifest: unknown,
    options: DeployOptions,
    deployedBy: string,
    rollbackOf: string | null = null,
  ): Promise<DeployResult> {
    const errors = validateManifest(manifest)
    if (errors.length) throw invalidManifest(errors)
    const valid = manifest as Manifest
    return this.db.withAdvisoryLock(DEPLOY_LOCK, () =>
      this.deployLocked(valid, options, deployedBy, rollbackOf),
    )
  }

  private async deployLocked(
    manifest: Manifest,
    options: DeployOptions,
    deployedBy: string,
    rollbackOf: string | null,
  ): Promise<DeployResult> {
    const live = await readLive(this.services, await this.store.managed())
    const desired = readDesired(manifest, live, this.services)
    const planned = plan(desired.project, live.project, { prune: options.prune ?? false })
    const after = namesAfter(live.project, desired.project, planned.changes)
    const problems = [
      ...desired.problems,
      ...planned.problems,
      ...missingReferences(desired.functions, after),
    ]
    if (problems.length) throw invalidManifest(problems)
    if (planned.protectedDeletes.length) {
      throw new StratusError(
        'deployments/protected',
        `The deployment would delete protected resources: ${describe(planned.protectedDeletes)}`,
        { details: { changes: planned.protectedDeletes } },
      )
    }
    // A dry run is the plan: it shows the steps that lose data rather than refusing them.
    const lossy = planned.changes.filter((change) => change.dataLoss)
    if (lossy.length && !options.allowDestroy && !options.dryRun) {
      throw new StratusError(
        'deployments/data-loss',
        `The deployment would lose data: ${describe(lossy)}; allow it with allowDestroy`,
        { details: { changes: lossy } },
      )
    }
    const checked = await this.checkFunctions(planned.changes, desired.functions, deployedBy)
    const hash = canonicalHash(manifest)
    if (options.dryRun) return { hash, changes: planned.changes }
    const beyondFunctions = planned.changes.filter((change) => change.kind !== 'function')
    if (beyondFunctions.length && options.onlyFunctions) {
      throw new StratusError(
        'auth/forbidden',
        `This API key deploys functions only (scope functions:deploy; changing anything else needs admin): ${describe(beyondFunctions)}`,
        { details: { changes: beyondFunctions } },
      )
    }
    const providerChanges = planned.changes.filter((change) => change.kind === 'authProvider')
    if (providerChanges.length && options.mayChangeProviders === false) {
      throw new StratusError(
        'auth/forbidden',
        `Only an owner or the service key changes sign-in providers: ${describe(providerChanges)}`,
        { details: { changes: providerChanges } },
      )
    }
    if (providerChanges.some((c) => c.action !== 'delete') && !this.services.oauth.providers.storesSecrets) {
      throw new StratusError(
        'service/unavailable',
        'Set AUTH_ENCRYPTION_KEY (32 bytes, base64) to store OAuth client secrets: the manifest sets a provider',
      )
    }
    await applyChanges({
      changes: planned.changes,
      desired,
      live,
      checked,
      services: this.services,
      logger: this.logger,
    })
    const id = await this.record(manifest, hash, planned.changes, deployedBy, rollbackOf)
    this.logger.info({ deployment: id, changes: planned.changes.length, deployedBy }, 'deployed a manifest')
    return { id, hash, changes: planned.changes }
  }

  /** Each created, updated or renamed function's code, checked in a sandbox as its deploy would. */
  private async checkFunctions(
    changes: readonly Change[],
    functions: ReturnType<typeof readDesired>['functions'],
    deployedBy: string,
  ): Promise<Map<string, DeployInput>> {
    const checked = new Map<string, DeployInput>()
    for (const change of changes) {
      if (change.kind !== 'function' || change.action === 'delete') continue
      try {
        const { input } = await this.services.functions.check(
          change.name,
          functions.get(change.name)!,
          deployedBy,
        )
        checked.set(change.name, input)
      } catch (error) {
        if (error instanceof StratusError && error.code === 'functions/invalid-code') {
          const details = (error.details ?? {}) as object
          throw new StratusError('functions/invalid-code', `functions.${change.name}: ${error.message}`, {
            details: { ...details, path: `functions.${change.name}.code`, function: change.name },
          })
        }
        throw error
      }
    }
    return checked
  }

  /** Records the deployment and the fingerprints of what it now manages (read back after applying). */
  private async record(
    manifest: Manifest,
    hash: string,
    changes: Change[],
    deployedBy: string,
    rollbackOf: string | null,
  ): Promise<string> {
    const now = await readLive(this.services, [])
    const declared = declaredResources(manifest)
    const managed = declared.flatMap(({ kind, name, protect }) => {
      const fingerprint = now.fingerprints.get(resourceKey(kind, name))
      return fingerprint ? [{ kind, name, fingerprint, protect }] : []
    })
    // Deleted (by this deployment, or earlier outside one) and not declared again: no longer managed.
    const gone = (await this.store.managed()).filter(
      (m) =>
        !now.fingerprints.has(resourceKey(m.kind, m.name)) &&
        !declared.some((d) => d.kind === m.kind && d.name === m.name),
    )
    const released = [
      ...changes.flatMap((change) =>
        change.action === 'rename' && change.from ? [{ kind: change.kind, name: change.from }] : [],
      ),
      ...gone.map(({ kind, name }) => ({ kind, name })),
    ]
    const id = newEventId()
    await this.db.tx((tx) =>
      this.store.record(
        tx,
        { id, hash, deployedBy, changes, manifest: maskManifest(manifest), rollbackOf },
        managed,
        released,
      ),
    )
    return id
  }

  /** Applies a recorded deployment's manifest again (masked values keep the live ones), as a new deployment. */
  async rollback(id: string, options: DeployOptions, deployedBy: string): Promise<DeployResult> {
    const record = await this.store.get(id)
    return this.deploy(record.manifest, options, deployedBy, options.dryRun ? null : record.id)
  }

  list(query: { limit: number; cursor?: string }): Promise<{
    deployments: DeploymentSummary[]
    nextCursor: string | null
  }> {
    return this.store.list(query)
  }

  get(id: string): Promise<DeploymentRecord> {
    return this.store.get(id)
  }

  /** The live project as a manifest (secrets masked), and each resource's management and drift. */
  async live(): Promise<{ manifest: Manifest; resources: LiveResourceStatus[] }> {
    const managed = await this.store.managed()
    const snapshot = await readLive(this.services, managed)
    return { manifest: liveManifest(snapshot), resources: statuses(snapshot, managed) }
  }
}

/** Every resource a manifest declares, with its `protect`. */
function declaredResources(manifest: Manifest): { kind: ResourceKind; name: string; protect: boolean }[] {
  const out: { kind: ResourceKind; name: string; protect: boolean }[] = []
  const add = (kind: ResourceKind, entries: Record<string, object> | undefined) => {
    for (const [name, value] of Object.entries(entries ?? {}))
      out.push({ kind, name, protect: (value as { protect?: boolean }).protect ?? false })
  }
  add('collection', manifest.collections)
  add('bucket', manifest.buckets)
  add('queue', manifest.queues)
  add('function', manifest.functions)
  add('authProvider', manifest.auth?.providers)
  if (manifest.auth?.settings) out.push({ kind: 'authSettings', name: 'settings', protect: false })
  return out
}

function statuses(
  snapshot: LiveSnapshot,
  managed: readonly { kind: ResourceKind; name: string; fingerprint: string; deploymentId: string }[],
): LiveResourceStatus[] {
  const byKey = new Map(managed.map((m) => [resourceKey(m.kind, m.name), m]))
  const out: LiveResourceStatus[] = []
  for (const kind of KIND_ORDER) {
    for (const name of [...snapshot.project[kind].keys()].sort()) {
      const record = byKey.get(resourceKey(kind, name))
      byKey.delete(resourceKey(kind, name))
      out.push({
        kind,
        name,
        managed: record !== undefined,
        drifted:
          record !== undefined && record.fingerprint !== snapshot.fingerprints.get(resourceKey(kind, name)),
        ...(record ? { deploymentId: record.deploymentId } : {}),
      })
    }
  }
  // Managed resources deleted outside a deployment: drifted, and no longer live.
  for (const record of byKey.values()) {
    out.push({
      kind: record.kind,
      name: record.name,
      managed: true,
      drifted: true,
      deploymentId: record.deploymentId,
    })
  }
  return out
}

function describe(changes: readonly Change[]): string {
  return changes.map((c) => `${c.action} ${c.kind} ${c.name}`).join(', ')
}
