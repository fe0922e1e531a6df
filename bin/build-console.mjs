#!/usr/bin/env node
// Builds the admin console (console/) with Vite into console/dist/, which the server serves at /console/.
// `npm start` runs it with --if-stale, so a fresh `npm install && npm start` has a console without a
// build command of its own.
//
//   node bin/build-console.mjs            build
//   node bin/build-console.mjs --if-stale build only when console/dist/ is missing or older than its sources
import { readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'

const ROOT = path.resolve(import.meta.dirname, '..')
const CONSOLE = path.join(ROOT, 'console')
export const CONSOLE_DIST = path.join(CONSOLE, 'dist')
const STAMP = path.join(CONSOLE_DIST, '.built-at')
/** What the bundle is made of: the console's sources and config, and the SDK it imports. */
const INPUTS = [
  'console/src',
  'console/index.html',
  'console/public',
  'console/vite.config.ts',
  'console/package.json',
  'sdk/dist',
]

function newest(file) {
  let stat
  try {
    stat = statSync(file)
  } catch {
    return 0
  }
  let time = stat.mtimeMs
  if (stat.isDirectory()) {
    for (const entry of readdirSync(file)) time = Math.max(time, newest(path.join(file, entry)))
  }
  return time
}

/** True when console/dist/ was built from the console's sources as they are now. */
export function consoleIsFresh() {
  let builtAt
  try {
    builtAt = Number(readFileSync(STAMP, 'utf8'))
  } catch {
    return false
  }
  const inputs = Math.max(
    statSync(import.meta.filename).mtimeMs,
    ...INPUTS.map((f) => newest(path.join(ROOT, f))),
  )
  return Number.isFinite(builtAt) && inputs <= builtAt
}

/** Builds console/dist/ (beside it first, then swapped in whole: a running server never reads half a build). */
export async function buildConsole() {
  const { build } = await import('vite')
  const builtAt = Date.now()
  const staging = `${CONSOLE_DIST}.${process.pid}.tmp`
  rmSync(staging, { recursive: true, force: true })
  await build({
    configFile: path.join(CONSOLE, 'vite.config.ts'),
    mode: 'production',
    logLevel: 'warn',
    build: { outDir: staging, emptyOutDir: true },
  })
  writeFileSync(path.join(staging, path.basename(STAMP)), String(builtAt))
  const old = `${CONSOLE_DIST}.${process.pid}.old`
  let hadDist = true
  try {
    renameSync(CONSOLE_DIST, old)
  } catch (error) {
    if (error.code !== 'ENOENT') throw error
    hadDist = false
  }
  renameSync(staging, CONSOLE_DIST)
  if (hadDist) rmSync(old, { recursive: true, force: true })
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  const flag = process.argv[2]
  if (flag !== undefined && flag !== '--if-stale') {
    process.stderr.write('Usage: node bin/build-console.mjs [--if-stale]\n')
    process.exit(2)
  }
  if (!(flag === '--if-stale' && consoleIsFresh())) {
    const started = performance.now()
    await buildConsole()
    process.stdout.write(`Built console/dist/ in ${Math.round(performance.now() - started)} ms\n`)
  }
}
