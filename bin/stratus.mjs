#!/usr/bin/env node
// The `stratus` command. Sources are TypeScript run through tsx's loader, so the same files serve
// `npm start`, the CLI and the tests with no build step.
import { register } from 'tsx/esm/api'

register()
const { run } = await import('../services/cli.ts')
await run()
