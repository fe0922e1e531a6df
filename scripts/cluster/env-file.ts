import { readFileSync } from 'node:fs'
import path from 'node:path'

/** The one source of the environment every Stratus node shares (compose, Kubernetes, npm run cluster). */
export const STRATUS_ENV_FILE = path.resolve(import.meta.dirname, '../../infra/env/stratus.env')

/**
 * Reads a `KEY=value` file the way compose's env_file and kustomize's `envs` both read it when it keeps
 * to the plain subset: comments and blank lines skipped, the value taken as written. Anything outside
 * that subset (quotes, `export`, interpolation) is refused, since the readers would disagree on it.
 */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim()
    if (!line || line.startsWith('#')) continue
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line)
    if (!match) throw new Error(`line ${index + 1}: expected KEY=value, got "${line}"`)
    const [, key, value] = match as unknown as [string, string, string]
    if (/["'$`]/.test(value)) throw new Error(`line ${index + 1}: ${key}: quotes and $ are not portable here`)
    if (key in env) throw new Error(`line ${index + 1}: ${key} is set twice`)
    env[key] = value
  }
  return env
}

export function readStratusEnv(file = STRATUS_ENV_FILE): Record<string, string> {
  return parseEnvFile(readFileSync(file, 'utf8'))
}
