import type { JsonSchema } from '../../api/data.ts'
import type { CodeProblem } from '../../ui/CodeEditor.tsx'
import { locateJson, type Span, spanOf } from './json-locate.ts'
import { isSchema, type SchemaError, validateSchema } from './json-schema.ts'

/** Edited document data, checked: the data when it can be saved, and what to mark in the editor. */
export interface CheckedDocument {
  data: Record<string, unknown> | null
  problems: CodeProblem[]
}

/** A schema violation as the server reports it in a 422's `details.errors`. */
export interface ServerSchemaError {
  path: string
  message: string
  keyword?: string
  params?: Record<string, unknown>
}

function problemAt(span: Span, message: string): CodeProblem {
  return { message, offset: span.start, endOffset: span.end }
}

/** Where a schema error belongs, and its text: `/age must be >= 0`. */
function located(spans: Map<string, Span>, error: SchemaError): CodeProblem {
  const property =
    error.keyword === 'additionalProperties'
      ? (error.params.additionalProperty as string | undefined)
      : undefined
  const where = error.instancePath === '' ? 'The document' : error.instancePath
  return problemAt(spanOf(spans, error.instancePath, property), `${where} ${error.message}`)
}

/**
 * Parses the editor's text as a document's data and validates it against the collection's schema:
 * a syntax error at its offset, schema errors at the value (or key) they are about.
 */
export function checkDocument(text: string, schema: JsonSchema | null): CheckedDocument {
  const parsed = locateJson(text)
  if (!parsed.ok) {
    return { data: null, problems: [{ message: parsed.message, offset: parsed.offset }] }
  }
  const value = parsed.value
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { data: null, problems: [{ message: 'A document’s data is a JSON object: {…}', offset: 0 }] }
  }
  const errors = schema && isSchema(schema) ? validateSchema(schema, value) : []
  return {
    data: errors.length === 0 ? (value as Record<string, unknown>) : null,
    problems: errors.map((error) => located(parsed.spans, error)),
  }
}

/** A 422 `db/validation-failed`'s errors, marked in the text that was sent. */
export function serverProblems(text: string, errors: readonly ServerSchemaError[]): CodeProblem[] {
  const parsed = locateJson(text)
  const spans = parsed.ok ? parsed.spans : new Map<string, Span>()
  return errors.map((error) =>
    located(spans, {
      instancePath: error.path === '/' ? '' : error.path,
      keyword: error.keyword ?? '',
      message: error.message,
      params: error.params ?? {},
    }),
  )
}
