import { describe, expect, it } from 'vitest'
import type { Document } from '../../api/data.ts'
import { csvToImport, documentsToCsv, documentsToJson, jsonToImport, parseCsv } from './transfer.ts'

function doc(id: string, data: Record<string, unknown>): Document {
  return {
    id,
    collection: 'c',
    data,
    version: 2,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-02T00:00:00.000Z',
  }
}

const DOCS = [
  doc('a1', { name: 'Ada, Countess', score: 42, active: true, note: 'say "hi"\nthen leave' }),
  doc('b2', { name: '42', tags: ['x', 'y'], address: { city: 'Paris' }, empty: '', nothing: null }),
  doc('c3', { id: 'inner id', version: 'v9', name: ' padded ' }),
  doc('d4', {}),
]

describe('CSV and JSON export/import', () => {
  it('round-trips every kind of value through CSV', () => {
    const csv = documentsToCsv(DOCS)
    const { rows, errors } = csvToImport(csv)
    expect(errors).toEqual([])
    expect(rows.map((row) => ({ id: row.id, data: row.data }))).toEqual(
      DOCS.map(({ id, data }) => ({ id, data })),
    )
  })

  it('writes a header of meta columns then data fields by name, a colliding field as data.<name>', () => {
    const header = documentsToCsv(DOCS).split('\r\n')[0]
    expect(header).toBe(
      'id,version,createdAt,updatedAt,active,address,empty,data.id,name,note,nothing,score,tags,data.version',
    )
  })

  it('round-trips through JSON, and takes plain objects as new documents', () => {
    const { rows, errors } = jsonToImport(documentsToJson(DOCS))
    expect(errors).toEqual([])
    expect(rows.map((row) => ({ id: row.id, data: row.data }))).toEqual(
      DOCS.map(({ id, data }) => ({ id, data })),
    )
    const plain = jsonToImport('[{"title":"x"}, 3, {"id":"bad id!","data":{}}]')
    expect(plain.rows).toEqual([{ line: 1, data: { title: 'x' } }])
    expect(plain.errors.map((e) => e.line)).toEqual([2, 3])
    expect(jsonToImport('{"not":"an array"}').errors[0]?.message).toMatch(/array/)
  })

  it('parses RFC 4180 CSV: quotes, doubled quotes, line breaks in fields, CRLF and LF, a BOM', () => {
    const rows = parseCsv('\uFEFFa,b\r\n"x, y","say ""hi"""\n"two\nlines",z\n\n')
    expect(rows).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { fields: ['x, y', 'say "hi"'], line: 2 },
      { fields: ['two\nlines', 'z'], line: 3 },
    ])
  })

  it('reports CSV rows it cannot import, by line', () => {
    const { rows, errors } = csvToImport('id,name\nok,Ada\nnot ok!,Bob\nx,y,z\n')
    expect(rows).toEqual([{ line: 2, id: 'ok', data: { name: 'Ada' } }])
    expect(errors.map((e) => e.line)).toEqual([3, 4])
  })
})
