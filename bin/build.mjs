#!/usr/bin/env node
// Compiles the server to JavaScript in dist/: one output file per TypeScript source (no bundling, so
// stack traces, `import.meta.dirname` and files read next to a module work as in the sources), with
// source maps. Other files in those trees (the sandbox bootstrap, …) and the SQL migrations are copied.
//
//   node bin/build.mjs            build
//   node bin/build.mjs --if-stale build only when dist/ is missing or older than the sources
//   node bin/build.mjs --check    exit 1 when dist/ is missing or older than the sources
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'

const ROOT = path.resolve(import.meta.dirname, '..')
/** Where the compiled tree lives; it mirrors the repository (dist/services/cli.js, …). */
export const DIST = path.join(ROOT, 'dist')
/** Written last by a build: the time the build started reading the sources. */
const STAMP = path.join(DIST, '.built-at')
/** Compiled: every `.ts` file but tests and declarations; every other file is copied as it is. */
const CODE_TREES = ['services', 'functions-runtime']
/** Copied as they are: read at run time relative to the code (services/db/migrate.ts). */
const ASSET_TREES = ['prisma/migrations']

function walk(dir, visit) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name)
    if (entry.isDirectory()) {
      visit(file, true)
      walk(file, visit)
    } else if (entry.isFile()) visit(file, false)
  }
}

/**
 * The newest modification time over the inputs, directories included (a removed or renamed file
 * changes its directory's time), and this script (a change to how we build).
 */
function newestInput() {
  let newest = statSync(import.meta.filename).mtimeMs
  for (const tree of [...CODE_TREES, ...ASSET_TREES]) {
    const root = path.join(ROOT, tree)
    newest = Math.max(newest, statSync(root).mtimeMs)
    walk(root, (file) => {
      newest = Math.max(newest, statSync(file).mtimeMs)
    })
  }
  return newest
}

/** True when dist/ was built from the sources as they are now. */
export function distIsFresh() {
  let builtAt
  try {
    builtAt = Number(readFileSync(STAMP, 'utf8'))
  } catch {
    return false
  }
  return Number.isFinite(builtAt) && newestInput() <= builtAt
}

const isTest = (file) => /\.test\.ts$/.test(file)
const isCode = (file) => /\.ts$/.test(file) && !/\.d\.ts$/.test(file)

// Without bundling, esbuild keeps import specifiers as written; our sources import `./x.ts`, which
// must become `./x.js` in the output. Every import stays external: each file compiles on its own.
const relativeTsToJs = {
  name: 'relative-ts-to-js',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined
      const rewritten = /^\.\.?\//.test(args.path) ? args.path.replace(/\.ts$/, '.js') : args.path
      return { path: rewritten, external: true }
    })
  },
}

/** Builds dist/ from the sources; returns how many files were compiled and copied. */
export async function build() {
  const { build: esbuild } = await import('esbuild')
  const builtAt = Date.now()
  // Built beside dist/ and swapped in whole, so a process starting meanwhile never sees half a tree.
  const staging = `${DIST}.${process.pid}.tmp`
  rmSync(staging, { recursive: true, force: true })
  const entryPoints = []
  const copies = []
  for (const tree of CODE_TREES) {
    walk(path.join(ROOT, tree), (file, isDir) => {
      if (isDir || isTest(file)) return
      if (isCode(file)) entryPoints.push(file)
      else copies.push(file)
    })
  }
  for (const tree of ASSET_TREES) {
    walk(path.join(ROOT, tree), (file, isDir) => {
      if (!isDir) copies.push(file)
    })
  }
  const compiledTo = new Set(entryPoints.map((file) => file.replace(/\.ts$/, '.js')))
  const clash = copies.find((file) => compiledTo.has(file))
  if (clash) throw new Error(`${path.relative(ROOT, clash)} would overwrite the output of its .ts twin`)
  await esbuild({
    entryPoints,
    outdir: staging,
    outbase: ROOT,
    bundle: true,
    plugins: [relativeTsToJs],
    format: 'esm',
    platform: 'node',
    target: 'node20.18',
    sourcemap: true,
    logLevel: 'warning',
    tsconfig: path.join(ROOT, 'tsconfig.json'),
  })
  for (const file of copies) {
    const target = path.join(staging, path.relative(ROOT, file))
    mkdirSync(path.dirname(target), { recursive: true })
    writeFileSync(target, readFileSync(file))
  }
  writeFileSync(path.join(staging, path.basename(STAMP)), String(builtAt))
  const old = `${DIST}.${process.pid}.old`
  let hadDist = true
  try {
    renameSync(DIST, old)
  } catch (error) {
    if (error.code !== 'ENOENT') throw error
    hadDist = false
  }
  renameSync(staging, DIST)
  if (hadDist) rmSync(old, { recursive: true, force: true })
  return { compiled: entryPoints.length, copied: copies.length }
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  const flag = process.argv[2]
  if (flag === '--check') {
    if (!distIsFresh()) {
      process.stderr.write('dist/ is missing or older than the sources: run `npm run build:server`\n')
      process.exit(1)
    }
  } else if (flag === '--if-stale' && distIsFresh()) {
    // Nothing to do: dist/ matches the sources.
  } else if (flag === undefined || flag === '--if-stale') {
    const started = performance.now()
    const { compiled, copied } = await build()
    process.stdout.write(
      `Built dist/: ${compiled} files compiled, ${copied} copied, in ${Math.round(performance.now() - started)} ms\n`,
    )
  } else {
    process.stderr.write('Usage: node bin/build.mjs [--if-stale | --check]\n')
    process.exit(2)
  }
}
