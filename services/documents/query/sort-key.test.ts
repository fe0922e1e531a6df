import { describe, expect, it } from 'vitest'
import { compareKeys, compareValues, sortKey } from './sort-key.ts'

// The documented total order, lowest first; each group's members are also in order.
const ORDERED: unknown[] = [
  undefined,
  null,
  false,
  true,
  -Number.MAX_VALUE,
  -1e21,
  -123.5,
  -123.45,
  -1,
  -0.5,
  -1e-7,
  -5e-324,
  0,
  5e-324,
  1e-7,
  0.05,
  0.5,
  1,
  1.5,
  10,
  123.45,
  123.5,
  2 ** 53,
  1e21,
  Number.MAX_VALUE,
  '',
  '\u0001',
  '\u0001\u0001',
  '\u0002',
  'A',
  'B',
  'a',
  'a\u0001',
  'ab',
  'b',
  'é',
  '\uE000',
  '\uFFFF',
  '😀',
  [],
  [null],
  [1],
  [1, null],
  [1, 2],
  [2],
  ['a'],
  [[]],
  [{}],
  {},
  { '': null },
  { a: null },
  { a: 1 },
  { a: 1, b: 1 },
  { a: 2 },
  { a: 'x' },
  { b: 0 },
]

describe('sort keys (the total order)', () => {
  it('orders every pair as documented', () => {
    for (let i = 0; i < ORDERED.length; i++) {
      for (let j = 0; j < ORDERED.length; j++) {
        const expected = Math.sign(i - j)
        expect(
          Math.sign(compareValues(ORDERED[i], ORDERED[j])),
          `${JSON.stringify(ORDERED[i])} vs ${JSON.stringify(ORDERED[j])}`,
        ).toBe(expected)
      }
    }
  })

  it('gives equal values equal keys (1 and 1.0, -0 and 0, objects whatever their key order)', () => {
    expect(sortKey(1)).toBe(sortKey(1.0))
    expect(sortKey(-0)).toBe(sortKey(0))
    expect(sortKey({ a: 1, b: [2] })).toBe(sortKey({ b: [2], a: 1 }))
  })

  it('orders random numbers as numbers', () => {
    const values = Array.from({ length: 2000 }, (_, i) => {
      const magnitude = 10 ** (Math.floor(Math.random() * 40) - 20)
      const n = (Math.random() - 0.5) * magnitude
      return i % 7 === 0 ? Math.round(n) : n
    })
    const byKey = [...values].sort(compareValues)
    const byValue = [...values].sort((a, b) => a - b)
    expect(byKey).toEqual(byValue)
  })

  it('compares strings by code point, not UTF-16 unit', () => {
    // '\uFFFF' is one unit above the surrogate pair of '😀' but a lower code point.
    expect('😀' < '\uFFFF').toBe(true)
    expect(compareKeys('😀', '\uFFFF')).toBe(1)
    expect(compareKeys('abc', 'abd')).toBe(-1)
    expect(compareKeys('ab', 'ab')).toBe(0)
  })
})
