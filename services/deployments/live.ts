import type { OAuthService } from '../auth/oauth/oauth-service.ts'
import type { ProviderView } from '../auth/oauth/providers.ts'
import type { DocumentsService } from '../documents/service.ts'
import type { FunctionVersion } from '../functions/model.ts'
import type { FunctionsService } from '../functions/service.ts'
import type { QueueRules, QueueService } from '../queue/service.ts'
import type { Bucket } from '../storage/records.ts'
import type { StorageService } from '../storage/service.ts'
import { canonicalHash } from './canonical.ts'
import { MASK, type Manifest, type ResourceKind } from './manifest.ts'
import { emptyProject, type LiveResource, type Project } from './plan.ts'
import type { ManagedResource } from './store.ts'

/** The services a deployment reads and changes. */
export interface ProjectServices {
  documents: DocumentsService
  storage: StorageService
  queue: QueueService
  functions: FunctionsService
  oauth: OAuthService
}

/** What is live, read once per deployment: normalised for the plan, raw for undoing, and as a manifest. */
export interface LiveSnapshot {
  project: Project<LiveResource>
  /** Per `kind/name`: what a change outside a deployment would alter (see `fingerprintOf`). */
  fingerprints: Map<string, string>
  /** Live function versions, env values included (never answered). */
  functions: Map<string, FunctionVersion>
  buckets: Map<string, Bucket>
  /** Providers with their client secrets (never answered). */
  providers: Map<string, ProviderView & { clientSecret: string }>
}

export const resourceKey = (kind: ResourceKind, name: string) => `${kind}/${name}`

/** The normalised spec of a collection (what the plan compares). */
export function collectionSpec(input: {
  rules?: Partial<Record<'read' | 'create' | 'update' | 'delete', string | boolean>> | null
  schema?: Record<string, unknown> | null
  indexes?: unknown[]
}): Record<string, unknown> {
  const rules = input.rules ?? {}
  return {
    rules: {
      read: rules.read ?? false,
      create: rules.create ?? false,
      update: rules.update ?? false,
      delete: rules.delete ?? false,
    },
    schema: input.schema ?? null,
    indexes: input.indexes ?? [],
  }
}

/** The normalised spec of a bucket, from its checked settings. */
export function bucketSpec(
  bucket: Omit<Bucket, 'name' | 'createdAt' | 'updatedAt'>,
): Record<string, unknown> {
  return {
    public: bucket.public,
    rules: bucket.rules,
    maxFileSize: bucket.maxFileSize,
    allowedContentTypes: bucket.allowedContentTypes,
  }
}

export function queueSpec(rules: QueueRules): Record<string, unknown> {
  return { rules: rules.publish === undefined ? {} : { publish: rules.publish } }
}

/** The normalised spec of a function version (defaults already filled in). */
export function functionSpec(
  version: Pick<
    FunctionVersion,
    'code' | 'triggers' | 'env' | 'timeoutMs' | 'memoryMb' | 'concurrency' | 'retries'
  >,
): Record<string, unknown> {
  return {
    code: version.code,
    triggers: version.triggers,
    env: version.env,
    timeoutMs: version.timeoutMs,
    memoryMb: version.memoryMb,
    concurrency: version.concurrency,
    retries: version.retries,
  }
}

export function providerSpec(
  settings: Omit<ProviderView, 'name' | 'createdAt' | 'updatedAt'>,
  clientSecret: string,
): Record<string, unknown> {
  return {
    type: settings.type,
    preset: settings.preset,
    issuer: settings.issuer,
    authorizationUrl: settings.authorizationUrl,
    tokenUrl: settings.tokenUrl,
    userinfoUrl: settings.userinfoUrl,
    clientId: settings.clientId,
    scopes: settings.scopes,
    clientSecret,
  }
}

/**
 * Reads the live project through the services. `managed` gives each resource's `protect`.
 */
export async function readLive(
  services: ProjectServices,
  managed: readonly ManagedResource[],
): Promise<LiveSnapshot> {
  const [collections, buckets, objectCounts, queues, queueStats, functions, settings, providerViews] =
    await Promise.all([
      services.documents.listCollections(),
      services.storage.buckets.list(),
      services.storage.objectCounts(),
      services.queue.configs(),
      services.queue.stats(),
      services.functions.liveVersions(),
      services.oauth.settings(),
      services.oauth.providers.list(),
    ])
  const providers = await Promise.all(
    providerViews.map(async (view) => {
      const record = await services.oauth.providers.load(view.name)
      return { ...view, clientSecret: record?.clientSecret ?? '' }
    }),
  )
  const protect = new Set(managed.filter((m) => m.protect).map((m) => resourceKey(m.kind, m.name)))
  const project = emptyProject<LiveResource>()
  const fingerprints = new Map<string, string>()
  const add = (
    kind: ResourceKind,
    name: string,
    spec: Record<string, unknown>,
    holds: number,
    marker: unknown,
  ) => {
    project[kind].set(name, { spec, holds, protect: protect.has(resourceKey(kind, name)) })
    fingerprints.set(resourceKey(kind, name), canonicalHash(marker))
  }
  const depth = new Map(queueStats.map((q) => [q.name, q.depth]))
  for (const c of collections) {
    const spec = collectionSpec(c)
    add('collection', c.name, spec, c.documentCount, { spec, version: c.version, updatedAt: c.updatedAt })
  }
  for (const b of buckets) {
    const spec = bucketSpec(b)
    add('bucket', b.name, spec, objectCounts.get(b.name) ?? 0, { spec, updatedAt: b.updatedAt })
  }
  for (const q of queues) {
    const spec = queueSpec(q.rules)
    add('queue', q.name, spec, depth.get(q.name) ?? 0, { spec })
  }
  for (const f of functions) {
    // Env values and code stay out of the fingerprint: the version number changes with any deploy.
    add('function', f.name, functionSpec(f), 0, { version: f.version, createdAt: f.createdAt })
  }
  add('authSettings', 'settings', { redirectUrls: settings.redirectUrls }, 0, {
    redirectUrls: settings.redirectUrls,
  })
  for (const p of providers) {
    const { clientSecret, ...view } = p
    add('authProvider', p.name, providerSpec(view, clientSecret), 0, { view })
  }
  return {
    project,
    fingerprints,
    functions: new Map(functions.map((f) => [f.name, f])),
    buckets: new Map(buckets.map((b) => [b.name, b])),
    providers: new Map(providers.map((p) => [p.name, p])),
  }
}

/** The live project as a manifest: function code kept, env values and client secrets masked. */
export function liveManifest(snapshot: LiveSnapshot): Manifest {
  const manifest: Required<Omit<Manifest, '$schema' | 'auth'>> & { auth: NonNullable<Manifest['auth']> } = {
    collections: {},
    buckets: {},
    queues: {},
    functions: {},
    auth: {},
  }
  const { project } = snapshot
  const protect = (kind: ResourceKind, name: string) =>
    project[kind].get(name)?.protect ? { protect: true } : {}
  for (const [name, { spec }] of project.collection) {
    const { rules, schema, indexes } = spec as {
      rules: Record<string, string | boolean>
      schema: Record<string, unknown> | null
      indexes: []
    }
    manifest.collections[name] = {
      rules,
      ...(schema === null ? {} : { schema }),
      ...(indexes.length ? { indexes } : {}),
      ...protect('collection', name),
    }
  }
  for (const [name, b] of snapshot.buckets) {
    manifest.buckets[name] = {
      public: b.public,
      rules: b.rules,
      ...(b.maxFileSize === null ? {} : { maxFileSize: b.maxFileSize }),
      ...(b.allowedContentTypes.length ? { allowedContentTypes: b.allowedContentTypes } : {}),
      ...protect('bucket', name),
    }
  }
  for (const [name, { spec }] of project.queue) {
    manifest.queues[name] = { rules: spec.rules as QueueRules, ...protect('queue', name) }
  }
  for (const [name, f] of snapshot.functions) {
    manifest.functions[name] = {
      code: f.code,
      triggers: f.triggers,
      ...(Object.keys(f.env).length
        ? { env: Object.fromEntries(Object.keys(f.env).map((k) => [k, MASK])) }
        : {}),
      timeoutMs: f.timeoutMs,
      memoryMb: f.memoryMb,
      concurrency: f.concurrency,
      retries: f.retries,
      ...protect('function', name),
    }
  }
  const settings = project.authSettings.get('settings')?.spec as { redirectUrls: string[] } | undefined
  if (settings?.redirectUrls.length) manifest.auth.settings = settings
  if (snapshot.providers.size) {
    manifest.auth.providers = {}
    for (const [name, p] of snapshot.providers) {
      manifest.auth.providers[name] = {
        type: p.type,
        ...(p.preset ? { preset: p.preset } : {}),
        ...(p.issuer ? { issuer: p.issuer } : {}),
        ...(p.authorizationUrl ? { authorizationUrl: p.authorizationUrl } : {}),
        ...(p.tokenUrl ? { tokenUrl: p.tokenUrl } : {}),
        ...(p.userinfoUrl ? { userinfoUrl: p.userinfoUrl } : {}),
        clientId: p.clientId,
        clientSecret: MASK,
        scopes: p.scopes,
      }
    }
  }
  const out: Manifest = {}
  for (const key of ['collections', 'buckets', 'queues', 'functions'] as const) {
    if (Object.keys(manifest[key]).length) Object.assign(out, { [key]: manifest[key] })
  }
  if (Object.keys(manifest.auth).length) out.auth = manifest.auth
  return out
}
