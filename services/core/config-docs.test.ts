import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { CONFIG_REFERENCE, CONFIG_VARIABLES } from './config.ts'
import { CONFIG_DOCS_PATH, renderConfigDocs } from './config-docs.ts'

const root = path.resolve(import.meta.dirname, '../..')
const committed = readFileSync(path.join(root, CONFIG_DOCS_PATH), 'utf8')

describe('docs/configuration.md', () => {
  it('has a row for every variable the config reads', () => {
    const documented = new Set([...committed.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]))
    const missing = CONFIG_VARIABLES.filter((name) => !documented.has(name))
    expect(missing, 'variables read by services/core/config.ts but not in docs/configuration.md').toEqual([])
    const unknown = [...documented].filter((name) => !(CONFIG_VARIABLES as string[]).includes(name!))
    expect(unknown, 'variables documented but no longer read').toEqual([])
  })

  it('describes every variable', () => {
    const undescribed = CONFIG_REFERENCE.filter((v) => v.description.trim().length < 10).map((v) => v.name)
    expect(undescribed).toEqual([])
  })

  it('is what `npm run docs` generates from the config module (not stale)', () => {
    expect(committed, 'docs/configuration.md is stale: run `npm run docs`').toBe(renderConfigDocs())
  })

  it('renders a default, an unset meaning, or none', () => {
    const md = renderConfigDocs([
      { name: 'A_VAR', default: '8080', description: 'has a default | with a pipe' },
      { name: 'B_VAR', unset: 'embedded PGlite', description: 'means something unset' },
      { name: 'C_VAR', default: '', description: 'empty list' },
    ])
    expect(md).toContain('| `A_VAR` | `8080` | has a default \\| with a pipe |')
    expect(md).toContain('| `B_VAR` | (unset: embedded PGlite) | means something unset |')
    expect(md).toContain('| `C_VAR` | (none) | empty list |')
  })
})
