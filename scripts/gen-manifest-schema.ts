import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { renderSchemaFile, SCHEMA_FILE_PATH } from '../services/deployments/schema-file.ts'

// `npx tsx scripts/gen-manifest-schema.ts` (part of `npm run docs`): rewrites stratus.schema.json, the
// JSON Schema editors use to complete stratus.yaml.
const root = path.resolve(import.meta.dirname, '..')
writeFileSync(path.join(root, SCHEMA_FILE_PATH), renderSchemaFile())
process.stdout.write(`wrote ${SCHEMA_FILE_PATH}\n`)
