import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { stringify } from 'yaml'
import type {
  FunctionFileManifest,
  FunctionManifest,
  Manifest,
  ManifestFile,
} from '../../deployments/manifest.ts'
import type { AdminApi } from './api.ts'
import { AppCliError } from './errors.ts'
import { loadProject, PROJECT_FILE } from './project.ts'
import { functionCode, PULLED_CODE_SUFFIX } from './wire.ts'

/** One live resource's state, as GET /admin/v1/deployments/live lists it. */
export interface LiveResource {
  kind: string
  name: string
  /** Declared by a deployment. */
  managed: boolean
  /** Changed (or deleted) through the console or the admin API since that deployment. */
  drifted: boolean
  deploymentId?: string
}

interface LiveView {
  manifest: Manifest
  resources: LiveResource[]
}

/** The live project as a wire manifest (function code included; env values and secrets masked). */
export async function liveManifest(api: AdminApi): Promise<Manifest> {
  return (await api.get<LiveView>('/admin/v1/deployments/live')).manifest
}

/** Which live resources are managed by a deployment, and which of those drifted. */
export async function liveResources(api: AdminApi): Promise<LiveResource[]> {
  return (await api.get<LiveView>('/admin/v1/deployments/live')).resources
}

/** Keys in a fixed order: the usual reading order first, then the rest alphabetically. */
const KEY_ORDER = [
  'source',
  'public',
  'rules',
  'schema',
  'indexes',
  'maxFileSize',
  'allowedContentTypes',
  'triggers',
  'env',
  'timeoutMs',
  'memoryMb',
  'concurrency',
  'retries',
  'settings',
  'providers',
  'protect',
]
function ordered<T extends object>(value: T): T {
  const rank = (key: string) => {
    const i = KEY_ORDER.indexOf(key)
    return i === -1 ? KEY_ORDER.length : i
  }
  const keys = Object.keys(value).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))
  return Object.fromEntries(keys.map((k) => [k, (value as Record<string, unknown>)[k]])) as T
}

/** A section's resources by name, sorted, each with its keys ordered and without `renamedFrom`. */
function sortedSection<T extends object>(
  section: Record<string, T> | undefined,
  existing: Record<string, T & { protect?: boolean }> | undefined,
  map: (name: string, value: T) => T | Promise<T> = (_, v) => v,
): Promise<Record<string, T> | undefined> | undefined {
  if (!section || Object.keys(section).length === 0) return undefined
  return (async () => {
    const out: Record<string, T> = {}
    for (const name of Object.keys(section).sort()) {
      const { renamedFrom: _done, ...rest } = (await map(name, section[name]!)) as T & {
        renamedFrom?: string
      }
      // `protect` lives in the file: keep it when the server does not echo it.
      const protect = existing?.[name]?.protect
      out[name] = ordered({ ...(protect !== undefined ? { protect } : {}), ...rest } as T)
    }
    return out
  })()
}

/** NAME for a `${env:NAME}` reference: upper snake case. */
function envName(...parts: string[]): string {
  return parts
    .join('_')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toUpperCase()
}

/**
 * Writes the live project into stratus.yaml, in a stable order, so that `plan` is empty right after.
 * A function keeps its source file when that file bundles to exactly the live code; otherwise the live
 * code is written to functions/<name>.bundle.js and the file points there. Masked secrets (function env
 * values, provider client secrets) become `${env:NAME}` references, or keep what the file said.
 */
export async function pull(api: AdminApi, dir: string, out: (text: string) => void): Promise<string[]> {
  const live = await liveManifest(api)
  let existing: ManifestFile = {}
  if (existsSync(path.join(dir, PROJECT_FILE))) {
    try {
      existing = loadProject(dir).manifest
    } catch (error) {
      if (!(error instanceof AppCliError)) throw error
      out(`The current ${PROJECT_FILE} is not valid; it is replaced as a whole:\n${error.message}\n`)
    }
  }
  const written: string[] = [PROJECT_FILE]
  const file: ManifestFile = {}
  const collections = await sortedSection(live.collections, existing.collections)
  if (collections) file.collections = collections
  const buckets = await sortedSection(live.buckets, existing.buckets)
  if (buckets) file.buckets = buckets
  const queues = await sortedSection(live.queues, existing.queues)
  if (queues) file.queues = queues
  const functions = await sortedSection<FunctionManifest | FunctionFileManifest>(
    live.functions,
    existing.functions,
    async (name, value) => {
      const { code, env, ...settings } = value as FunctionManifest
      const before = existing.functions?.[name]
      let source = before?.source
      const same = source ? await functionCode(dir, source).catch(() => null) : null
      if (!source || same !== code) {
        source = `functions/${name}${PULLED_CODE_SUFFIX}`
        mkdirSync(path.join(dir, 'functions'), { recursive: true })
        writeFileSync(path.join(dir, source), code)
        written.push(source)
      }
      const fileEnv = env
        ? Object.fromEntries(
            Object.keys(env)
              .sort()
              .map((key) => [key, before?.env?.[key] ?? `\${env:${key}}`]),
          )
        : undefined
      return { source, ...settings, ...(fileEnv && Object.keys(fileEnv).length ? { env: fileEnv } : {}) }
    },
  )
  if (functions) file.functions = functions as Record<string, FunctionFileManifest>
  if (live.auth) {
    const auth: NonNullable<ManifestFile['auth']> = {}
    if (live.auth.settings) auth.settings = live.auth.settings
    const providers = await sortedSection(live.auth.providers, existing.auth?.providers, (name, p) => ({
      ...p,
      clientSecret:
        existing.auth?.providers?.[name]?.clientSecret ?? `\${env:${envName(name, 'client_secret')}}`,
    }))
    if (providers) auth.providers = providers
    if (Object.keys(auth).length) file.auth = auth
  }
  const text = Object.keys(file).length ? stringify(file, { lineWidth: 0, indent: 2 }) : '{}\n'
  writeFileSync(
    path.join(dir, PROJECT_FILE),
    `# yaml-language-server: $schema=./stratus.schema.json\n# Written by \`stratus pull\`.\n${text}`,
  )
  return written
}
