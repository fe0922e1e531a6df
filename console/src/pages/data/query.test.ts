import { describe, expect, it } from 'vitest'
import {
  type FilterRow,
  filtersToWhere,
  formatFilterValue,
  nextOrder,
  parseFilterValue,
  parseListValue,
  whereToFilters,
} from './query.ts'

describe('filter rows → where', () => {
  it('reads values as JSON when they are JSON, and as text otherwise', () => {
    expect(parseFilterValue('42')).toBe(42)
    expect(parseFilterValue('true')).toBe(true)
    expect(parseFilterValue('null')).toBeNull()
    expect(parseFilterValue('"42"')).toBe('42')
    expect(parseFilterValue('Ada Lovelace')).toBe('Ada Lovelace')
    expect(parseFilterValue('{"a":1}')).toEqual({ a: 1 })
    expect(parseListValue('a, 2, "3"')).toEqual(['a', 2, '3'])
    expect(parseListValue('["x", 1]')).toEqual(['x', 1])
  })

  it('builds the where JSON of every op, leaving out empty rows', () => {
    const rows: FilterRow[] = [
      { field: 'status', op: '==', value: 'open' },
      { field: 'score', op: '>=', value: '10' },
      { field: '', op: '==', value: '' },
      { field: 'address.city', op: 'in', value: 'Paris, Lyon' },
      { field: 'tags', op: 'array-contains', value: 'urgent' },
      { field: 'tags', op: 'array-contains-any', value: '["a", "b"]' },
      { field: 'owner', op: '!=', value: 'null' },
      { field: 'n', op: 'not-in', value: '1,2' },
    ]
    const { where, errors } = filtersToWhere(rows)
    expect(errors.every((e) => e === null)).toBe(true)
    expect(JSON.stringify(where)).toBe(
      JSON.stringify([
        ['status', '==', 'open'],
        ['score', '>=', 10],
        ['address.city', 'in', ['Paris', 'Lyon']],
        ['tags', 'array-contains', 'urgent'],
        ['tags', 'array-contains-any', ['a', 'b']],
        ['owner', '!=', null],
        ['n', 'not-in', [1, 2]],
      ]),
    )
  })

  it('says which rows cannot be sent', () => {
    const { where, errors } = filtersToWhere([
      { field: '', op: '==', value: 'x' },
      { field: 'a', op: 'in', value: '' },
      { field: '$id', op: '==', value: 'x' },
    ])
    expect(where).toEqual([])
    expect(errors[0]).toMatch(/field/)
    expect(errors[1]).toMatch(/at least one/)
    expect(errors[2]).toMatch(/data fields/)
  })

  it('turns a where back into rows that give the same where', () => {
    const where = filtersToWhere([
      { field: 'a', op: '==', value: '"42"' },
      { field: 'b', op: 'in', value: 'x, 3' },
      { field: 'c', op: '<', value: '2.5' },
      { field: 'd', op: '==', value: 'plain text' },
    ]).where
    expect(filtersToWhere(whereToFilters(where)).where).toEqual(where)
    expect(formatFilterValue('plain')).toBe('plain')
    expect(formatFilterValue('42')).toBe('"42"')
    expect(formatFilterValue(' padded')).toBe('" padded"')
  })

  it('cycles a column header through ascending, descending and the default order', () => {
    expect(nextOrder([], 'score')).toEqual([['score', 'asc']])
    expect(nextOrder([['score', 'asc']], 'score')).toEqual([['score', 'desc']])
    expect(nextOrder([['score', 'desc']], 'score')).toEqual([])
    expect(nextOrder([['score', 'desc']], '$id')).toEqual([['$id', 'asc']])
  })
})
