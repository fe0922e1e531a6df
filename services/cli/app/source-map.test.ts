import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiError } from './api.ts'
import { type Bundle, bundleFunction } from './bundle.ts'
import { atSource } from './code-errors.ts'
import { AppCliError } from './errors.ts'
import { originalPosition } from './source-map.ts'
import type { FunctionBundles } from './wire.ts'

// Types, an interface and blank lines that the bundle drops, and a helper module it inlines first: the
// bundle's lines and columns differ from the source's.
const ENTRY = `import { shout } from './lib/shout.ts'

interface Input {
  name: string
}

type Output = { text: string }

export default async (event: { data: Input }): Promise<Output> => {
  const text: string = shout(event.data.name)
  return { text, pattern: /MARK_ENTRY/ }
}
`
const HELPER = `// a helper module

export function shout(value: string): string {
    return value.toUpperCase() + 'MARK_HELPER'
}
`

let dir: string
let bundle: Bundle
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'stratus-source-map-'))
  mkdirSync(path.join(dir, 'functions/lib'), { recursive: true })
  writeFileSync(path.join(dir, 'functions/greet.ts'), ENTRY)
  writeFileSync(path.join(dir, 'functions/lib/shout.ts'), HELPER)
  bundle = await bundleFunction(dir, 'functions/greet.ts')
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The 1-based line and column of `marker` in `text`. */
function positionOf(text: string, marker: string): { line: number; column: number } {
  const lines = text.split('\n')
  const index = lines.findIndex((l) => l.includes(marker))
  if (index < 0) throw new Error(`${marker} is not in the text`)
  return { line: index + 1, column: lines[index]!.indexOf(marker) + 1 }
}

describe('originalPosition', () => {
  it('maps a position in the bundle to the TypeScript line and column it came from', () => {
    expect(bundle.map).toBeDefined()
    const inBundle = positionOf(bundle.code, '/MARK_ENTRY/')
    const inSource = positionOf(ENTRY, '/MARK_ENTRY/')
    expect(inBundle).not.toEqual(inSource) // else the test would prove nothing
    expect(originalPosition(bundle.map!, inBundle.line, inBundle.column)).toEqual({
      file: 'functions/greet.ts',
      ...inSource,
    })
  })

  it('maps code inlined from an imported module to that module', () => {
    const inBundle = positionOf(bundle.code, 'value.toUpperCase()')
    expect(originalPosition(bundle.map!, inBundle.line, inBundle.column)).toEqual({
      file: 'functions/lib/shout.ts',
      ...positionOf(HELPER, 'value.toUpperCase()'),
    })
  })

  it('answers nothing for positions outside the code or not positions at all', () => {
    expect(originalPosition(bundle.map!, 1, 1)).toBeUndefined() // esbuild's own "// functions/…" comment
    expect(originalPosition(bundle.map!, 10_000, 1)).toBeUndefined()
    expect(originalPosition(bundle.map!, 0, 1)).toBeUndefined()
    expect(originalPosition(bundle.map!, 2, 0)).toBeUndefined()
  })
})

describe('atSource', () => {
  const codeError = (message: string, details: Record<string, unknown>) =>
    new ApiError(
      400,
      'functions/invalid-code',
      `POST /admin/v1/deployments: 400 functions/invalid-code: ${message}`,
      details,
      message,
    )
  const bundles = (): FunctionBundles =>
    new Map([
      ['greet', { ...bundle, source: 'functions/greet.ts' }],
      ['pulled', { code: 'x', source: 'functions/pulled.bundle.js' }],
    ])

  it('says the source file, line and column, without the bundle position', () => {
    const at = positionOf(bundle.code, '/MARK_ENTRY/')
    const mapped = atSource(
      codeError(
        `functions.greet: The code does not compile: Invalid regular expression [greet.js:${at.line}:${at.column}]`,
        { ...at, function: 'greet', path: 'functions.greet.code' },
      ),
      bundles(),
    )
    expect(mapped).toBeInstanceOf(AppCliError)
    const line = positionOf(ENTRY, '/MARK_ENTRY/')
    expect((mapped as Error).message).toBe(
      `functions/greet.ts:${line.line}:${line.column}: The code does not compile: Invalid regular expression (function greet)`,
    )
  })

  it('keeps the server message, after the source file, when there is no position', () => {
    const message = 'functions.greet: The module threw while loading: boom'
    const mapped = atSource(codeError(message, { function: 'greet' }), bundles())
    expect((mapped as Error).message).toBe(`functions/greet.ts: ${message}`)
  })

  it('takes a pulled bundle as its own source', () => {
    const mapped = atSource(
      codeError('functions.pulled: The code does not compile: x [pulled.js:3:4]', {
        function: 'pulled',
        line: 3,
        column: 4,
      }),
      bundles(),
    )
    expect((mapped as Error).message).toBe(
      'functions/pulled.bundle.js:3:4: The code does not compile: x (function pulled)',
    )
  })

  it('leaves other errors and unknown functions alone', () => {
    const other = new ApiError(409, 'deployments/data-loss', 'lossy', {})
    expect(atSource(other, bundles())).toBe(other)
    const unknown = codeError('functions.nope: bad', { function: 'nope', line: 1, column: 1 })
    expect(atSource(unknown, bundles())).toBe(unknown)
  })
})
