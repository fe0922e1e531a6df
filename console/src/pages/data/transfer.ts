import type { Document } from '../../api/data.ts'

/**
 * Export and import formats, as pure functions.
 *
 * JSON: an array of documents as the API returns them (`{id, version, createdAt, updatedAt, data}`;
 * `collection` is left out so a file imports into any collection). Import takes such an array, or plain
 * objects, each then the data of a new document.
 *
 * CSV: a header row `id, version, createdAt, updatedAt, <data fields…>`, one row per document. A data
 * cell holds JSON (`42`, `true`, `null`, `{"a":1}`) except a string, written bare unless it would read
 * back as something else (`"42"` stays a string that way); an empty cell is a missing field. A data
 * field named like a meta column (`id`…) gets the column `data.id`. So a CSV export imports back to the
 * same data.
 */

/** The columns of a CSV export that are not data. */
export const META_COLUMNS = ['id', 'version', 'createdAt', 'updatedAt'] as const
const isMeta = (name: string) => (META_COLUMNS as readonly string[]).includes(name)

/** The CSV column of data field `field`. */
export function columnOf(field: string): string {
  return isMeta(field) ? `data.${field}` : field
}

/** The data field a CSV column holds, or null for a meta column. */
export function fieldOf(column: string): string | null {
  if (isMeta(column)) return null
  const inner = column.startsWith('data.') ? column.slice(5) : ''
  return isMeta(inner) ? inner : column
}

/** A document to write, read from a file; `line` says where it was, for the import report. */
export interface ImportRow {
  line: number
  id?: string
  data: Record<string, unknown>
}

export interface ParsedImport {
  rows: ImportRow[]
  /** Entries that cannot be imported at all (not an object, a bad id…), with where they are. */
  errors: { line: number; message: string }[]
}

const ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/

/** The JSON export of `docs`. */
export function documentsToJson(docs: readonly Document[]): string {
  const out = docs.map(({ id, version, createdAt, updatedAt, data }) => ({
    id,
    version,
    createdAt,
    updatedAt,
    data,
  }))
  return `${JSON.stringify(out, null, 2)}\n`
}

/** A data value as a CSV cell (see the module comment). */
export function encodeCell(value: unknown): string {
  if (value === undefined) return ''
  if (typeof value === 'string') {
    if (value === '') return '""'
    try {
      JSON.parse(value)
      return JSON.stringify(value)
    } catch {
      return value
    }
  }
  return JSON.stringify(value)
}

/** A CSV cell back to a data value: JSON if it parses, the text otherwise; undefined when empty. */
export function decodeCell(cell: string): unknown {
  if (cell === '') return undefined
  try {
    return JSON.parse(cell)
  } catch {
    return cell
  }
}

function quote(field: string): string {
  return /[",\r\n]/.test(field) || field !== field.trim() ? `"${field.replaceAll('"', '""')}"` : field
}

/** The data fields of `docs`, by name: the CSV's columns after the meta ones. */
export function csvFields(docs: readonly Document[]): string[] {
  const fields = new Set<string>()
  for (const doc of docs) for (const key of Object.keys(doc.data)) fields.add(key)
  return [...fields].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}

/** The CSV header line for `fields`. */
export function csvHeader(fields: readonly string[]): string {
  return `${[...META_COLUMNS, ...fields.map(columnOf)].map(quote).join(',')}\r\n`
}

/** CSV lines (with CRLF endings) for `docs` under a header of `fields`. */
export function csvRows(docs: readonly Document[], fields: readonly string[]): string {
  return docs
    .map((doc) =>
      [
        doc.id,
        String(doc.version),
        doc.createdAt,
        doc.updatedAt,
        ...fields.map((field) => encodeCell(doc.data[field])),
      ]
        .map(quote)
        .join(','),
    )
    .map((line) => `${line}\r\n`)
    .join('')
}

/** The CSV export of `docs` (all their data fields as columns). */
export function documentsToCsv(docs: readonly Document[]): string {
  const fields = csvFields(docs)
  return csvHeader(fields) + csvRows(docs, fields)
}

/**
 * Parses CSV (RFC 4180: quoted fields may hold commas, quotes doubled, line breaks; CRLF or LF).
 * Returns rows of fields with the line each row starts on (1-based). A leading byte-order mark is dropped.
 */
export function parseCsv(text: string): { fields: string[]; line: number }[] {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text
  const rows: { fields: string[]; line: number }[] = []
  let fields: string[] = []
  let field = ''
  let quoted = false
  let line = 1
  let rowLine = 1
  let i = 0
  const endRow = () => {
    fields.push(field)
    // A blank line is no row.
    if (!(fields.length === 1 && fields[0] === '')) rows.push({ fields, line: rowLine })
    fields = []
    field = ''
  }
  while (i < source.length) {
    const ch = source[i]!
    if (quoted) {
      if (ch === '"') {
        if (source[i + 1] === '"') {
          field += '"'
          i += 2
          continue
        }
        quoted = false
      } else {
        if (ch === '\n') line++
        field += ch
      }
      i++
      continue
    }
    if (ch === '"' && field === '') quoted = true
    else if (ch === ',') {
      fields.push(field)
      field = ''
    } else if (ch === '\n' || ch === '\r') {
      endRow()
      if (ch === '\r' && source[i + 1] === '\n') i++
      line++
      rowLine = line
    } else field += ch
    i++
  }
  if (field !== '' || fields.length > 0) endRow()
  return rows
}

/** Documents to write from a CSV file with a header row (see the module comment). */
export function csvToImport(text: string): ParsedImport {
  const [header, ...body] = parseCsv(text)
  if (!header) return { rows: [], errors: [{ line: 1, message: 'The file is empty' }] }
  const names = header.fields.map((name) => name.trim())
  const errors: ParsedImport['errors'] = []
  const rows: ImportRow[] = []
  for (const { fields, line } of body) {
    if (fields.length > names.length) {
      errors.push({ line, message: `${fields.length} fields, but the header names ${names.length}` })
      continue
    }
    const data: Record<string, unknown> = {}
    let id: string | undefined
    names.forEach((name, i) => {
      const cell = fields[i] ?? ''
      const field = fieldOf(name)
      if (name === 'id') id = cell.trim() || undefined
      else if (field === null || field === '') return
      else {
        const value = decodeCell(cell)
        if (value !== undefined) data[field] = value
      }
    })
    if (id !== undefined && !ID_PATTERN.test(id)) {
      errors.push({ line, message: `id ${JSON.stringify(id)} is not 1-128 characters of [A-Za-z0-9_-]` })
      continue
    }
    rows.push({ line, ...(id === undefined ? {} : { id }), data })
  }
  return { rows, errors }
}

/** Documents to write from a JSON file: an array of `{id?, data}` documents or of plain data objects. */
export function jsonToImport(text: string): ParsedImport {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    return { rows: [], errors: [{ line: 1, message: `Not JSON: ${(error as Error).message}` }] }
  }
  if (!Array.isArray(parsed)) {
    return { rows: [], errors: [{ line: 1, message: 'The file must hold a JSON array of documents' }] }
  }
  const rows: ImportRow[] = []
  const errors: ParsedImport['errors'] = []
  parsed.forEach((entry: unknown, index) => {
    // Entries are numbered from 1, as the report shows them.
    const line = index + 1
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      errors.push({ line, message: 'Not an object' })
      return
    }
    const record = entry as Record<string, unknown>
    const isDocument = typeof record.data === 'object' && record.data !== null && !Array.isArray(record.data)
    if (!isDocument) {
      rows.push({ line, data: record })
      return
    }
    const id = record.id
    if (id !== undefined && (typeof id !== 'string' || !ID_PATTERN.test(id))) {
      errors.push({ line, message: `id ${JSON.stringify(id)} is not 1-128 characters of [A-Za-z0-9_-]` })
      return
    }
    rows.push({
      line,
      ...(typeof id === 'string' ? { id } : {}),
      data: record.data as Record<string, unknown>,
    })
  })
  return { rows, errors }
}

/** Reads an import file by its name: `.csv` as CSV, anything else as JSON. */
export function parseImport(fileName: string, text: string): ParsedImport {
  return /\.csv$/i.test(fileName) ? csvToImport(text) : jsonToImport(text)
}
