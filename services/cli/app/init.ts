import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { renderSchemaFile, SCHEMA_FILE_PATH } from '../../deployments/schema-file.ts'
import { AppCliError } from './errors.ts'
import { TEMPLATE_FILES } from './init-template.ts'
import { loadProject } from './project.ts'
import { generateTypes } from './types-gen.ts'

/** The file `types` writes by default, and the one the template's functions import. */
export const TYPES_FILE = 'stratus-types.ts'

/** Writes a new project into `dir` (created if needed; refused when it has anything in it). */
export async function initProject(dir: string): Promise<string[]> {
  if (existsSync(dir) && readdirSync(dir).length)
    throw new AppCliError(`${dir} is not empty: \`stratus init\` only writes into a new or empty directory`)
  const name =
    path
      .basename(path.resolve(dir))
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'stratus-app'
  const written: string[] = []
  for (const [file, render] of Object.entries(TEMPLATE_FILES)) {
    const target = path.join(dir, file)
    mkdirSync(path.dirname(target), { recursive: true })
    writeFileSync(target, render(name))
    written.push(file)
  }
  // The file's schema, so editors complete and check stratus.yaml (its first line points at it).
  writeFileSync(path.join(dir, SCHEMA_FILE_PATH), renderSchemaFile())
  written.push(SCHEMA_FILE_PATH)
  writeFileSync(path.join(dir, TYPES_FILE), await generateTypes(loadProject(dir).manifest))
  written.push(TYPES_FILE)
  return written
}
