import { describe, expect, it } from 'vitest'
import type { ChangeFrame } from '../realtime.js'
import { applyChange, defaultOrder, diffResults, isNewer } from './listen.js'
import type { Document } from './types.js'

function doc(id: string, version: number, createdAt = '2026-01-01T00:00:00.000Z', n = version): Document {
  return { id, collection: 'c', data: { n }, version, createdAt, updatedAt: createdAt }
}

function change(event: ChangeFrame['event'], document: Document, matches?: boolean): ChangeFrame {
  return { type: 'change', id: 's1', sequence: 1, event, document, ...(matches === false ? { matches } : {}) }
}

const LATER = '2026-01-02T00:00:00.000Z'

describe('isNewer', () => {
  it('orders writes within a lifetime by version and lifetimes by creation time', () => {
    expect(isNewer(doc('a', 2), doc('a', 1))).toBe(true)
    expect(isNewer(doc('a', 1), doc('a', 1))).toBe(false)
    expect(isNewer(doc('a', 1, LATER), doc('a', 9))).toBe(true)
    expect(isNewer(doc('a', 9), doc('a', 1, LATER))).toBe(false)
  })
})

describe('applyChange', () => {
  it('adds, modifies and removes', () => {
    const docs = new Map<string, Document>()
    expect(applyChange(docs, change('created', doc('a', 1)))?.type).toBe('added')
    expect(applyChange(docs, change('updated', doc('a', 2)))?.type).toBe('modified')
    expect(docs.get('a')?.version).toBe(2)
    expect(applyChange(docs, change('deleted', doc('a', 2)))?.type).toBe('removed')
    expect(docs.size).toBe(0)
  })

  it('ignores a change older than what a read already returned', () => {
    const docs = new Map([['a', doc('a', 5)]])
    expect(applyChange(docs, change('updated', doc('a', 4)))).toBeNull()
    expect(applyChange(docs, change('updated', doc('a', 5)))).toBeNull()
    expect(docs.get('a')?.version).toBe(5)
  })

  it('keeps a re-created document when the delete of its earlier lifetime arrives late', () => {
    const docs = new Map([['a', doc('a', 1, LATER)]])
    expect(applyChange(docs, change('deleted', doc('a', 3)))).toBeNull()
    expect(docs.get('a')?.createdAt).toBe(LATER)
  })

  it('drops a document that left the subscription unless the read holds a later state', () => {
    const docs = new Map([['a', doc('a', 2)]])
    expect(applyChange(docs, change('updated', doc('a', 1), false))).toBeNull()
    expect(applyChange(docs, change('updated', doc('a', 3), false))?.type).toBe('removed')
    expect(docs.has('a')).toBe(false)
  })

  it('ignores removals of documents it does not hold', () => {
    expect(applyChange(new Map(), change('deleted', doc('a', 1)))).toBeNull()
    expect(applyChange(new Map(), change('updated', doc('a', 1), false))).toBeNull()
  })
})

describe('diffResults', () => {
  it('reports added, modified and removed documents', () => {
    const changes = diffResults([doc('a', 1), doc('b', 1)], [doc('b', 2), doc('c', 1)])
    expect(changes.map((c) => [c.type, c.doc.id])).toEqual([
      ['modified', 'b'],
      ['added', 'c'],
      ['removed', 'a'],
    ])
    expect(diffResults([doc('a', 1)], [doc('a', 1)])).toEqual([])
  })
})

describe('defaultOrder', () => {
  it('sorts by creation time, then id', () => {
    const sorted = [doc('b', 1), doc('a', 1, LATER), doc('a', 1)].sort(defaultOrder)
    expect(sorted.map((d) => `${d.id}@${d.createdAt.slice(8, 10)}`)).toEqual(['a@01', 'b@01', 'a@02'])
  })
})
