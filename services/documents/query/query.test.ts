import { describe, expect, it } from 'vitest'
import { compareDocuments, matchesWhere } from './matcher.ts'
import { parseLimit, parseOrderBy, parseWhere, resolveOrder } from './query.ts'

const doc = (id: string, data: Record<string, unknown>, createdAt = '2026-01-01T00:00:00.000Z') => ({
  id,
  data,
  createdAt,
  updatedAt: createdAt,
})

describe('query parsing', () => {
  it.each([
    ['not an array', { a: 1 }],
    ['a clause of the wrong length', [['a', '==']]],
    ['an unknown op', [['a', 'like', 'x']]],
    ['in without a list', [['a', 'in', 1]]],
    ['an empty in list', [['a', 'in', []]]],
    ['a bad path', [['a..b', '==', 1]]],
    ['a value with U+0000', [['a', '==', 'x\u0000']]],
  ])('refuses where with %s', (_name, where) => {
    expect(() => parseWhere(where)).toThrow(expect.objectContaining({ code: 'db/invalid-query' }))
  })

  it.each([['0'], ['1001'], ['-1'], ['1.5'], ['ten']])('refuses limit %s', (limit) => {
    expect(() => parseLimit(limit)).toThrow(expect.objectContaining({ code: 'db/invalid-query' }))
  })

  it('defaults the order to $createdAt then $id, and adds $id as tie-breaker', () => {
    expect(resolveOrder([]).map((c) => c.field)).toEqual([
      { kind: 'system', field: '$createdAt' },
      { kind: 'system', field: '$id' },
    ])
    expect(resolveOrder(parseOrderBy([['score', 'desc']])).map((c) => c.direction)).toEqual(['desc', 'asc'])
    expect(resolveOrder(parseOrderBy([['$id', 'desc']]))).toHaveLength(1)
  })
})

describe('matchesWhere', () => {
  const data = {
    n: 5,
    s: 'hello',
    b: true,
    z: null,
    tags: ['a', 'b', 3, { k: 1 }],
    address: { city: 'Paris' },
    'dotted.key': 1,
  }
  it.each([
    [['n', '==', 5], true],
    [['n', '==', 5.0], true],
    [['n', '==', '5'], false],
    [['n', '!=', 4], true],
    [['missing', '!=', 4], false],
    [['z', '!=', 4], true],
    [['z', '==', null], true],
    [['missing', '==', null], false],
    [['n', '>', 4], true],
    [['n', '>', 'a'], false],
    [['s', '>', 4], false],
    [['s', '>=', 'hello'], true],
    [['s', '<', 'help'], true],
    [['n', 'in', [1, 5]], true],
    [['n', 'not-in', [1, 5]], false],
    [['missing', 'not-in', [1]], false],
    [['tags', 'array-contains', 'a'], true],
    [['tags', 'array-contains', { k: 1 }], true],
    [['tags', 'array-contains', { k: 2 }], false],
    [['s', 'array-contains', 'h'], false],
    [['tags', 'array-contains-any', ['x', 3]], true],
    [['tags', 'array-contains-any', ['x', 'y']], false],
    [['address.city', '==', 'Paris'], true],
    [['`dotted.key`', '==', 1], true],
    [['b', '>', false], true],
  ])('%j → %s', (clause, expected) => {
    expect(matchesWhere(data, parseWhere([clause]))).toBe(expected)
  })

  it('ands every clause', () => {
    expect(
      matchesWhere(
        data,
        parseWhere([
          ['n', '>', 1],
          ['s', '==', 'hello'],
        ]),
      ),
    ).toBe(true)
    expect(
      matchesWhere(
        data,
        parseWhere([
          ['n', '>', 1],
          ['s', '==', 'bye'],
        ]),
      ),
    ).toBe(false)
  })
})

describe('compareDocuments', () => {
  it('orders by fields in the total order, then by id', () => {
    const docs = [
      doc('c', { p: 2 }),
      doc('a', { p: 'x' }),
      doc('b', { p: 2 }),
      doc('d', {}),
      doc('e', { p: null }),
    ]
    const sorted = [...docs].sort(compareDocuments(resolveOrder(parseOrderBy([['p', 'asc']]))))
    expect(sorted.map((d) => d.id)).toEqual(['d', 'e', 'b', 'c', 'a'])
    const desc = [...docs].sort(compareDocuments(resolveOrder(parseOrderBy([['p', 'desc']]))))
    expect(desc.map((d) => d.id)).toEqual(['a', 'b', 'c', 'e', 'd'])
  })
})
