import { readFileSync } from 'node:fs'
import path from 'node:path'

interface PackageJson {
  name?: string
  version?: string
}

/**
 * Stratus's own package.json and the folder it lives in, found from this file upwards: the same
 * answer from the TypeScript sources (services/core/) and from a build (dist/services/core/).
 */
function findPackage(): { root: string; pkg: PackageJson } | undefined {
  let dir = import.meta.dirname
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson
      if (pkg.name === 'stratus') return { root: dir, pkg }
    } catch {
      // No package.json at this level: look one up.
    }
    dir = path.dirname(dir)
  }
  return undefined
}

let found: ReturnType<typeof findPackage> | null = null

function lookup(): ReturnType<typeof findPackage> {
  if (found === null) found = findPackage()
  return found
}

/** The folder Stratus is installed in (where its package.json is). */
export function installRoot(): string {
  const hit = lookup()
  if (!hit) throw new Error('Cannot find the Stratus package.json above this module')
  return hit.root
}

/** The version in Stratus's package.json, or `unknown`. */
export function stratusVersion(): string {
  return lookup()?.pkg.version ?? 'unknown'
}
