import type { ProviderInput } from '../auth/oauth/presets.ts'
import { resolveProvider } from '../auth/oauth/presets.ts'
import { isStratusError, StratusError } from '../core/errors.ts'
import type { Trigger } from '../functions/model.ts'
import { DEPLOY_DEFAULTS } from '../functions/service.ts'
import { checkTrigger } from '../functions/trigger-check.ts'
import type { BucketInput } from '../storage/buckets.ts'
import {
  bucketSpec,
  collectionSpec,
  functionSpec,
  type LiveSnapshot,
  type ProjectServices,
  providerSpec,
  queueSpec,
} from './live.ts'
import { MASK, type Manifest, type ManifestProblem } from './manifest.ts'
import { type DesiredResource, emptyProject, type Project } from './plan.ts'

/** A manifest normalised and checked resource by resource, as the services themselves check it. */
export interface DesiredSnapshot {
  project: Project<DesiredResource>
  /** Problems the services' own checks found (rules that do not compile, unknown masks, …). */
  problems: ManifestProblem[]
  /** What each function's deploy gets: triggers checked, masked env values replaced by the live ones. */
  functions: Map<string, FunctionInput>
  buckets: Map<string, BucketInput>
  providers: Map<string, ProviderInput>
}

/** A function as the deploy will store it (before its code is checked in a sandbox). */
export interface FunctionInput {
  code: string
  triggers: Trigger[]
  env: Record<string, string>
  timeoutMs: number
  memoryMb: number
  concurrency: number
  retries: number
}

/** The problem a service's 400 describes, at `path` (plus the field it names, if any). */
function problemOf(error: unknown, path: string): ManifestProblem {
  if (!isStratusError(error) || error.status !== 400) throw error
  const field = (error.details as { field?: unknown } | undefined)?.field
  return { path: typeof field === 'string' ? `${path}.${field}` : path, message: error.message }
}

/**
 * Normalises and checks `manifest` (already valid against its JSON Schema). A trigger that can never
 * fire throws the deploy route's own 400 `functions/invalid-trigger`, with `details.path`.
 */
export function readDesired(
  manifest: Manifest,
  live: LiveSnapshot,
  services: ProjectServices,
): DesiredSnapshot {
  const project = emptyProject<DesiredResource>()
  const problems: ManifestProblem[] = []
  const functions = new Map<string, FunctionInput>()
  const buckets = new Map<string, BucketInput>()
  const providers = new Map<string, ProviderInput>()
  const attempt = (path: string, fn: () => void) => {
    try {
      fn()
    } catch (error) {
      problems.push(problemOf(error, path))
    }
  }
  for (const [name, c] of Object.entries(manifest.collections ?? {})) {
    const input = { rules: c.rules ?? {}, schema: c.schema ?? null, indexes: c.indexes ?? [] }
    attempt(`collections.${name}`, () => services.documents.checkCollection(name, input))
    project.collection.set(name, {
      spec: collectionSpec(input),
      protect: c.protect ?? false,
      ...(c.renamedFrom ? { renamedFrom: c.renamedFrom } : {}),
    })
  }
  for (const [name, b] of Object.entries(manifest.buckets ?? {})) {
    if (b.renamedFrom !== undefined) {
      problems.push({
        path: `buckets.${name}.renamedFrom`,
        message:
          'buckets cannot be renamed: objects are stored under their bucket’s name; create the new bucket and copy the objects',
      })
    }
    const { renamedFrom: _r, protect, ...input } = b
    attempt(`buckets.${name}`, () => {
      project.bucket.set(name, {
        spec: bucketSpec(services.storage.buckets.check(name, input)),
        protect: protect ?? false,
      })
      buckets.set(name, input)
    })
  }
  for (const [name, q] of Object.entries(manifest.queues ?? {})) {
    const rules = q.rules ?? {}
    attempt(`queues.${name}`, () => services.queue.checkRules(name, rules))
    project.queue.set(name, { spec: queueSpec(rules), protect: q.protect ?? false })
  }
  for (const [name, f] of Object.entries(manifest.functions ?? {})) {
    const path = `functions.${name}`
    const triggers = f.triggers.map((trigger, i) => {
      try {
        return checkTrigger(trigger, i)
      } catch (error) {
        if (!isStratusError(error, 'functions/invalid-trigger')) throw error
        throw new StratusError('functions/invalid-trigger', `${path}.triggers.${i}: ${error.message}`, {
          details: { ...(error.details as object), path: `${path}.triggers.${i}`, function: name },
        })
      }
    })
    // A masked value keeps the live one: this function's, or the one it is renamed from.
    const liveEnv = (live.functions.get(name) ?? live.functions.get(f.renamedFrom ?? ''))?.env
    const env: Record<string, string> = {}
    for (const [key, value] of Object.entries(f.env ?? {})) {
      if (value !== MASK) env[key] = value
      else if (liveEnv && Object.hasOwn(liveEnv, key)) env[key] = liveEnv[key]!
      else
        problems.push({
          path: `${path}.env.${key}`,
          message: `${MASK} keeps the live value, and the live function has no variable ${key}`,
        })
    }
    const input: FunctionInput = {
      code: f.code,
      triggers,
      env,
      timeoutMs: f.timeoutMs ?? DEPLOY_DEFAULTS.timeoutMs,
      memoryMb: f.memoryMb ?? DEPLOY_DEFAULTS.memoryMb,
      concurrency: f.concurrency ?? DEPLOY_DEFAULTS.concurrency,
      retries: f.retries ?? DEPLOY_DEFAULTS.retries,
    }
    functions.set(name, input)
    project.function.set(name, {
      spec: functionSpec(input),
      protect: f.protect ?? false,
      ...(f.renamedFrom ? { renamedFrom: f.renamedFrom } : {}),
    })
  }
  const settings = manifest.auth?.settings
  if (settings) {
    project.authSettings.set('settings', { spec: { redirectUrls: settings.redirectUrls }, protect: false })
  }
  for (const [name, p] of Object.entries(manifest.auth?.providers ?? {})) {
    const path = `auth.providers.${name}`
    let clientSecret = p.clientSecret
    if (clientSecret === MASK) {
      const current = live.providers.get(name)
      if (!current) {
        problems.push({
          path: `${path}.clientSecret`,
          message: `${MASK} keeps the live secret, and there is no provider ${name}`,
        })
        continue
      }
      clientSecret = current.clientSecret
    }
    const input: ProviderInput = { ...p, clientSecret }
    attempt(path, () => {
      project.authProvider.set(name, {
        spec: providerSpec(resolveProvider(input), clientSecret),
        protect: false,
      })
      providers.set(name, input)
    })
  }
  return { project, problems, functions, buckets, providers }
}
