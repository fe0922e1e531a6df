import { manifestFileSchema } from './manifest.ts'

/** Where the published schema of `stratus.yaml` lives, relative to the repository root. */
export const SCHEMA_FILE_PATH = 'stratus.schema.json'

/** The text of stratus.schema.json: the file form's schema, stably formatted. */
export function renderSchemaFile(): string {
  return `${JSON.stringify(manifestFileSchema, null, 2)}\n`
}
