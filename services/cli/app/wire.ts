import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { FunctionManifest, Manifest } from '../../deployments/manifest.ts'
import { type Bundle, bundleFunction } from './bundle.ts'
import { type Project, resolveEnv } from './project.ts'

/**
 * The suffix of the code files `stratus pull` writes for functions it cannot map to a source: they are
 * bundled already, so they are sent as they are (bundling them again would change their text, and
 * `pull` then `plan` would no longer be empty).
 */
export const PULLED_CODE_SUFFIX = '.bundle.js'

/** A function's module as a deploy sends it, with its source map when the CLI bundled it. */
export async function functionBundle(projectDir: string, source: string): Promise<Bundle> {
  if (source.endsWith(PULLED_CODE_SUFFIX))
    return { code: readFileSync(path.resolve(projectDir, source), 'utf8') }
  return bundleFunction(projectDir, source)
}

/** A function's module as a deploy sends it. */
export async function functionCode(projectDir: string, source: string): Promise<string> {
  return (await functionBundle(projectDir, source)).code
}

/** Each function's bundle by function name, with the source file it came from. */
export type FunctionBundles = Map<string, Bundle & { source: string }>

/**
 * The manifest as POST /admin/v1/deployments takes it: every `${env:NAME}` resolved (a missing variable
 * fails here, before anything is sent) and each function's source bundled into `code`; and the bundles,
 * whose source maps stay here to point the server's code errors at the source.
 */
export async function wireProject(
  project: Project,
  env: NodeJS.ProcessEnv,
): Promise<{ manifest: Manifest; bundles: FunctionBundles }> {
  const { $schema: _editorHint, functions, ...rest } = project.manifest
  const resolved = resolveEnv({ ...rest, functions }, env)
  const wire: Manifest = { ...resolved, functions: undefined }
  const bundles: FunctionBundles = new Map()
  if (!functions) {
    delete wire.functions
    return { manifest: wire, bundles }
  }
  const entries = await Promise.all(
    Object.entries(resolved.functions ?? {}).map(async ([name, fn]): Promise<[string, FunctionManifest]> => {
      const { source, ...settings } = fn
      const bundle = await functionBundle(project.dir, source)
      bundles.set(name, { ...bundle, source })
      return [name, { ...settings, code: bundle.code }]
    }),
  )
  wire.functions = Object.fromEntries(entries)
  return { manifest: wire, bundles }
}
