import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { isMap, isScalar, parseDocument } from 'yaml'
import { type ManifestFile, validateManifestFile } from '../../deployments/manifest.ts'
import { AppCliError } from './errors.ts'

/** The project file at the root of a project directory. */
export const PROJECT_FILE = 'stratus.yaml'

/** A JSON value as YAML parses it. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json }
/** A YAML/JSON mapping. */
export type JsonObject = { [key: string]: Json }

/** A loaded project: its directory, the file's path and what it declares. */
export interface Project {
  dir: string
  file: string
  manifest: ManifestFile
}

const SECTIONS = ['collections', 'buckets', 'queues', 'functions', 'auth'] as const

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Reads `<dir>/stratus.yaml`. YAML mistakes are reported as `stratus.yaml:line:col: message`; the
 * checks here are the ones the CLI itself relies on (sections are maps, each function names a source
 * file that exists), everything else is the server's validation.
 */
export function loadProject(dir: string): Project {
  const file = path.join(dir, PROJECT_FILE)
  if (!existsSync(file))
    throw new AppCliError(`no ${PROJECT_FILE} in ${path.resolve(dir)} (create one with \`stratus init\`)`)
  const text = readFileSync(file, 'utf8')
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true })
  if (document.errors.length) {
    const lines = document.errors.map((error) => {
      const at = error.linePos?.[0]
      return `${PROJECT_FILE}:${at ? `${at.line}:${at.col}:` : ''} ${error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`
    })
    throw new AppCliError(lines.join('\n'))
  }
  if (document.contents !== null && !isMap(document.contents))
    throw new AppCliError(`${PROJECT_FILE}: the file must be a mapping of sections (${SECTIONS.join(', ')})`)
  const data: unknown = document.toJS() ?? {}
  if (!isObject(data)) throw new AppCliError(`${PROJECT_FILE}: the file must be a mapping of sections`)
  // `line:col:` of the key at `keys` (of its value when no key is found), or '' when neither is.
  const lineOf = (keys: string[]): string => {
    const parent = keys.length ? document.getIn(keys.slice(0, -1), true) : undefined
    const pair = isMap(parent)
      ? parent.items.find((item) => isScalar(item.key) && String(item.key.value) === keys[keys.length - 1])
      : undefined
    const node = (isScalar(pair?.key) ? pair.key : document.getIn(keys, true)) as
      | { range?: [number, number, number] }
      | undefined
    const offset = node?.range?.[0]
    if (offset === undefined) return ''
    const before = text.slice(0, offset).split('\n')
    return `${before.length}:${before[before.length - 1]!.length + 1}:`
  }
  // Empty sections (`queues:` with nothing under it) are absent.
  for (const key of SECTIONS) if (data[key] === null) delete data[key]
  const problems = validateManifestFile(data)
  if (problems.length)
    throw new AppCliError(
      problems
        .map(
          (p) =>
            `${PROJECT_FILE}:${lineOf(p.path === '(root)' ? [] : p.path.split('.'))} ${p.path}: ${p.message}`,
        )
        .join('\n'),
    )
  const functions = (data.functions ?? {}) as Record<string, unknown>
  for (const [name, fn] of Object.entries(functions)) {
    const source = (fn as { source: string }).source
    if (!existsSync(path.resolve(dir, source)))
      throw new AppCliError(
        `${PROJECT_FILE}:${lineOf(['functions', name, 'source'])} functions.${name}.source: ${source} does not exist`,
      )
  }
  return { dir, file, manifest: data as unknown as ManifestFile }
}

const ENV_REFERENCE = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g

/**
 * Replaces every `${env:NAME}` in the strings of `value` by the variable's value. All the missing
 * variables are reported at once, with where the file uses them, before anything is sent.
 */
export function resolveEnv<T>(value: T, env: NodeJS.ProcessEnv): T {
  const missing: string[] = []
  const walk = (node: unknown, at: string): unknown => {
    if (typeof node === 'string')
      return node.replace(ENV_REFERENCE, (_, name: string) => {
        const found = env[name]
        if (found === undefined) {
          missing.push(`${name} (${at})`)
          return ''
        }
        return found
      })
    if (Array.isArray(node)) return node.map((item, i) => walk(item, `${at}[${i}]`))
    if (isObject(node))
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, at ? `${at}.${k}` : k)]))
    return node
  }
  const resolved = walk(value, '') as T
  if (missing.length) throw new AppCliError(`environment variables not set: ${missing.join(', ')}`)
  return resolved
}
