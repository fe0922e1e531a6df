#!/usr/bin/env node
// The `stratus` command. It runs the compiled server in dist/ when that was built from the sources as
// they are now (`npm start` builds it first, and so does the Docker image), and otherwise runs the
// TypeScript sources through tsx's loader: tests and development need no build step and never run
// stale output.
import { distIsFresh } from './build.mjs'

let run
if (distIsFresh()) {
  // Stack traces name the TypeScript sources.
  process.setSourceMapsEnabled(true)
  ;({ run } = await import('../dist/services/cli.js'))
} else {
  const { register } = await import('tsx/esm/api')
  register()
  ;({ run } = await import('../services/cli.ts'))
}
await run()
