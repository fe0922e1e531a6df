import { canonicalJson } from './canonical.ts'
import type { Change, ManifestProblem, ResourceKind, Trigger } from './manifest.ts'

// The plan: the pure diff between what a manifest declares and what is live. Both sides arrive
// normalised by the service (defaults filled in, masked secrets replaced by their live values), so two
// specs are equal exactly when applying the manifest would change nothing.

/** The kinds in the order changes apply (what others refer to first); deletes go the other way. */
export const KIND_ORDER: readonly ResourceKind[] = [
  'authSettings',
  'authProvider',
  'collection',
  'bucket',
  'queue',
  'function',
]

/** Kinds whose resources a manifest may rename (`renamedFrom`). */
export const RENAMEABLE: ReadonlySet<ResourceKind> = new Set(['collection', 'function'])

/** Where each kind sits in a manifest, for problem paths. */
export const SECTION: Record<ResourceKind, string> = {
  authSettings: 'auth',
  authProvider: 'auth.providers',
  collection: 'collections',
  bucket: 'buckets',
  queue: 'queues',
  function: 'functions',
}

/** A live resource, normalised. */
export interface LiveResource {
  spec: Record<string, unknown>
  /** Documents, objects or waiting messages it holds (0 for the kinds that hold none). */
  holds: number
  /** Marked `protect` by the last deployment that declared it. */
  protect: boolean
}

/** A resource as the manifest declares it, normalised. */
export interface DesiredResource {
  spec: Record<string, unknown>
  renamedFrom?: string
  protect: boolean
}

/** One map per kind, by name (`authSettings` has the single name `settings`). */
export type Project<T> = Record<ResourceKind, Map<string, T>>

/** An empty project of `T`. */
export function emptyProject<T>(): Project<T> {
  return Object.fromEntries(KIND_ORDER.map((kind) => [kind, new Map<string, T>()])) as Project<T>
}

/** The plan: the changes in the order they apply, and what stops it. */
export interface Plan {
  changes: Change[]
  /** Deletes the plan would make of protected resources (refused whatever the options). */
  protectedDeletes: Change[]
  /** Contradictions of the manifest with what is live (a 400 when not empty). */
  problems: ManifestProblem[]
}

/** Kinds whose deletion always loses something (a function's code and history, a provider's users' sign-in). */
const ALWAYS_LOSSY: ReadonlySet<ResourceKind> = new Set(['function', 'authProvider'])

/** Diffs `desired` against `live`. Live resources the manifest does not name are deleted only with `prune`. */
export function plan(
  desired: Project<DesiredResource>,
  live: Project<LiveResource>,
  options: { prune: boolean },
): Plan {
  const changes: Change[] = []
  const deletes: Change[] = []
  const problems: ManifestProblem[] = []
  for (const kind of KIND_ORDER) {
    const want = desired[kind]
    const have = live[kind]
    const consumed = new Set<string>()
    for (const [name, resource] of [...want].sort(byName)) {
      const path = `${SECTION[kind]}.${name}`
      const from = resource.renamedFrom
      const current = have.get(name)
      if (from !== undefined && RENAMEABLE.has(kind)) {
        if (from === name || want.has(from)) {
          problems.push({
            path: `${path}.renamedFrom`,
            message: `${from} is declared in this manifest too: a resource cannot be renamed and kept`,
          })
          continue
        }
        if (current && have.has(from)) {
          problems.push({
            path: `${path}.renamedFrom`,
            message: `both ${name} and ${from} exist: delete ${from}, or drop renamedFrom once the rename is done`,
          })
          continue
        }
        const source = have.get(from)
        if (!current && source) {
          consumed.add(from)
          const fields = differingFields(source.spec, resource.spec)
          changes.push({
            action: 'rename',
            kind,
            name,
            from,
            dataLoss: false,
            ...(fields.length ? { fields } : {}),
          })
          continue
        }
      }
      if (!current) {
        changes.push({ action: 'create', kind, name, dataLoss: false })
        continue
      }
      const fields = differingFields(current.spec, resource.spec)
      if (fields.length) changes.push({ action: 'update', kind, name, dataLoss: false, fields })
    }
    // Auth settings are one record that always exists: a manifest without them leaves them alone.
    if (!options.prune || kind === 'authSettings') continue
    for (const [name, resource] of [...have].sort(byName)) {
      if (want.has(name) || consumed.has(name)) continue
      const change: Change = {
        action: 'delete',
        kind,
        name,
        dataLoss: ALWAYS_LOSSY.has(kind) || resource.holds > 0,
      }
      deletes.push(change)
    }
  }
  // Deletes run last, dependents first (functions before the queues they consume, and so on).
  const ordered = [...changes, ...sortDeletes(deletes)]
  const protectedDeletes = ordered.filter(
    (change) => change.action === 'delete' && live[change.kind].get(change.name)?.protect,
  )
  return { changes: ordered, protectedDeletes, problems }
}

function sortDeletes(deletes: Change[]): Change[] {
  const rank = (kind: ResourceKind) => -KIND_ORDER.indexOf(kind)
  return [...deletes].sort((a, b) => rank(a.kind) - rank(b.kind) || (a.name < b.name ? -1 : 1))
}

const byName = <T>(a: [string, T], b: [string, T]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)

/** The top-level settings whose values differ, sorted. */
export function differingFields(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)])
  return [...keys].filter((key) => canonicalJson(a[key] ?? null) !== canonicalJson(b[key] ?? null)).sort()
}

/** The names of each kind once `changes` are applied to `live`. */
export function namesAfter(
  live: Project<LiveResource>,
  desired: Project<DesiredResource>,
  changes: readonly Change[],
): Record<ResourceKind, Set<string>> {
  const after = Object.fromEntries(
    KIND_ORDER.map((kind) => [kind, new Set([...live[kind].keys(), ...desired[kind].keys()])]),
  ) as Record<ResourceKind, Set<string>>
  for (const change of changes) {
    if (change.action === 'delete') after[change.kind].delete(change.name)
    if (change.action === 'rename' && change.from) after[change.kind].delete(change.from)
  }
  return after
}

// Subject prefixes that name a resource: `collections/<name>/…`, `buckets/<name>/…`, `queues/<name>`.
const SUBJECT_KIND: Record<string, ResourceKind> = {
  collections: 'collection',
  buckets: 'bucket',
  queues: 'queue',
}

/**
 * The resources triggers name that will not exist once the plan is applied: a queue trigger's queue, and
 * the collection, bucket or queue a subject pattern names literally (`collections/posts/documents/*`).
 */
export function missingReferences(
  functions: ReadonlyMap<string, { triggers: readonly Trigger[] }>,
  after: Record<ResourceKind, Set<string>>,
): ManifestProblem[] {
  const problems: ManifestProblem[] = []
  const missing = (kind: ResourceKind, name: string, path: string) => {
    if (after[kind].has(name)) return
    problems.push({
      path,
      message: `names ${kind} ${JSON.stringify(name)}, which neither exists nor is created by this manifest`,
    })
  }
  for (const [fn, { triggers }] of [...functions].sort(byName)) {
    triggers.forEach((trigger, i) => {
      const path = `functions.${fn}.triggers.${i}`
      if (trigger.type === 'queue') missing('queue', trigger.queue, `${path}.queue`)
      if (trigger.type === 'event' && trigger.subject !== undefined) {
        const [head, name] = trigger.subject.split('/')
        const kind = head === undefined ? undefined : SUBJECT_KIND[head]
        if (kind && name && !/[*?{}[\]]/.test(name)) missing(kind, name, `${path}.subject`)
      }
    })
  }
  return problems
}
