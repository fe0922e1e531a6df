import { type ErrorCode, StratusError } from '../core/errors.ts'

// ES2024's String#isWellFormed (Node 20 has it; the ES2023 lib does not declare it).
const isWellFormed = (text: string): boolean =>
  (text as unknown as { isWellFormed(): boolean }).isWellFormed()

/** What a document may be; from the configuration (DB_MAX_DOCUMENT_BYTES, DB_MAX_DEPTH). */
export interface DocumentLimits {
  /** The JSON text of `data`, in UTF-8 bytes. */
  maxDocumentBytes: number
  /** Nesting of objects and arrays: `{}` is depth 1, `{"a":[]}` depth 2. */
  maxDepth: number
}

/**
 * Checks that a value can be stored and compared as the database does: JSON (no undefined, functions
 * or non-finite numbers), at most `maxDepth` deep, and with no string the database cannot hold (U+0000
 * or a lone surrogate, both refused by jsonb). Iterative, so a hostile depth cannot overflow the stack.
 * Throws `code` (400) naming the path of the first problem.
 */
export function checkJsonValue(value: unknown, maxDepth: number, code: ErrorCode, what: string): void {
  const stack: { value: unknown; depth: number; path: string }[] = [{ value, depth: 0, path: '' }]
  const fail = (path: string, why: string) =>
    new StratusError(code, `${what}${path ? ` at ${path}` : ''} ${why}`, { details: { path: path || '/' } })
  const checkString = (text: string, path: string) => {
    if (text.includes('\u0000')) throw fail(path, 'contains U+0000, which cannot be stored')
    if (!isWellFormed(text)) throw fail(path, 'contains a lone surrogate (not valid Unicode)')
  }
  while (stack.length) {
    const item = stack.pop()!
    const v = item.value
    switch (typeof v) {
      case 'string':
        checkString(v, item.path)
        continue
      case 'number':
        if (!Number.isFinite(v)) throw fail(item.path, 'is not a finite number')
        continue
      case 'boolean':
        continue
      case 'object': {
        if (v === null) continue
        const depth = item.depth + 1
        if (depth > maxDepth) throw fail(item.path, `is nested deeper than ${maxDepth} levels`)
        if (Array.isArray(v)) {
          for (let i = 0; i < v.length; i++) stack.push({ value: v[i], depth, path: `${item.path}/${i}` })
        } else {
          for (const [key, child] of Object.entries(v)) {
            const path = `${item.path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`
            checkString(key, path)
            stack.push({ value: child, depth, path })
          }
        }
        continue
      }
      default:
        throw fail(item.path, 'is not a JSON value')
    }
  }
}

/**
 * Checks a document's data against the limits and returns its JSON text (what is stored). Not an
 * object → 400 `db/invalid-document`; too deep or unstorable → 400 `db/invalid-document`; too large →
 * 413 `db/too-large`.
 */
export function checkDocumentData(data: unknown, limits: DocumentLimits): string {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new StratusError('db/invalid-document', 'A document’s data must be a JSON object')
  }
  checkJsonValue(data, limits.maxDepth, 'db/invalid-document', 'The document')
  const json = JSON.stringify(data)
  const bytes = Buffer.byteLength(json)
  if (bytes > limits.maxDocumentBytes) {
    throw new StratusError(
      'db/too-large',
      `The document is ${bytes} bytes; the limit is ${limits.maxDocumentBytes} bytes`,
      { details: { bytes, limit: limits.maxDocumentBytes } },
    )
  }
  return json
}
