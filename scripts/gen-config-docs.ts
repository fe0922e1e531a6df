import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { CONFIG_DOCS_PATH, renderConfigDocs } from '../services/core/config-docs.ts'

// `npx tsx scripts/gen-config-docs.ts` (part of `npm run docs`): rewrites docs/configuration.md.
const root = path.resolve(import.meta.dirname, '..')
writeFileSync(path.join(root, CONFIG_DOCS_PATH), renderConfigDocs())
process.stdout.write(`wrote ${CONFIG_DOCS_PATH}\n`)
