import { describe, expect, it } from 'vitest'
import type { Document } from '../../api/data.ts'
import { cellKind, cellText, dataColumns } from './columns.ts'

const doc = (data: Record<string, unknown>): Document => ({
  id: 'x',
  collection: 'c',
  data,
  version: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
})

describe('grid columns', () => {
  it('shows the most common fields first, ties by name, at most max', () => {
    const docs = [doc({ title: 1, n: 1, rare: 1 }), doc({ title: 2, n: 2, b: 1 }), doc({ n: 3, a: 1 })]
    expect(dataColumns(docs)).toEqual(['n', 'title', 'a', 'b', 'rare'])
    expect(dataColumns(docs, 2)).toEqual(['n', 'title'])
  })

  it('writes cells as text, JSON for the rest, cut when long', () => {
    expect(cellText('plain')).toBe('plain')
    expect(cellText({ a: [1, 2] })).toBe('{"a":[1,2]}')
    expect(cellText(undefined)).toBe('')
    expect(cellText('x'.repeat(200), 10)).toBe(`${'x'.repeat(9)}…`)
    expect([undefined, null, 'a', 1, true, []].map(cellKind)).toEqual([
      'missing',
      'null',
      'string',
      'number',
      'boolean',
      'json',
    ])
  })
})
