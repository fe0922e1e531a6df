import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { loadConfig } from '../services/core/config.ts'
import { createLogger } from '../services/core/logger.ts'
import { createPlatform } from '../services/platform.ts'
import { ensurePgliteTemplate } from '../test/support/databases.ts'
import { type OpenApiDocument, renderApiDocs } from './api-docs.ts'

// `npx tsx scripts/gen-api-docs.ts` (part of `npm run docs`): builds the api role in-process on a copy
// of the migrated embedded database, as the tests do, and renders its /openapi.json into docs/api.md.
const root = path.resolve(import.meta.dirname, '..')
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'stratus-api-docs-'))
try {
  cpSync(await ensurePgliteTemplate(), path.join(dataDir, 'db'), { recursive: true })
  rmSync(path.join(dataDir, 'db', 'READY'), { force: true })
  const config = loadConfig({ STRATUS_DATA_DIR: dataDir, LOG_LEVEL: 'silent', PORT: '0' })
  const platform = await createPlatform(config, 'api', createLogger(config.log.level))
  try {
    const response = await platform.app!.inject({ method: 'GET', url: '/openapi.json' })
    if (response.statusCode !== 200) throw new Error(`GET /openapi.json answered ${response.statusCode}`)
    writeFileSync(path.join(root, 'docs/api.md'), renderApiDocs(response.json() as OpenApiDocument))
    process.stdout.write('wrote docs/api.md\n')
  } finally {
    await platform.close()
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true })
}
