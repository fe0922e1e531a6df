import { describe, expect, it } from 'vitest'
import { noneMatch, resolveRange } from './ranges.ts'

describe('Range', () => {
  it.each([
    [undefined, 10, undefined],
    ['bytes=0-4', 10, { start: 0, end: 4 }],
    ['bytes=5-', 10, { start: 5, end: 9 }],
    ['bytes=-3', 10, { start: 7, end: 9 }],
    ['bytes=-30', 10, { start: 0, end: 9 }],
    ['bytes=3-100', 10, { start: 3, end: 9 }],
    ['bytes = 1 - 2', 10, { start: 1, end: 2 }],
    ['bytes=10-', 10, 'unsatisfiable'],
    ['bytes=10-20', 10, 'unsatisfiable'],
    ['bytes=-0', 10, 'unsatisfiable'],
    ['bytes=0-', 0, 'unsatisfiable'],
    ['bytes=-5', 0, 'unsatisfiable'],
    ['bytes=5-3', 10, undefined],
    ['bytes=0-1,3-4', 10, undefined],
    ['bytes=-', 10, undefined],
    ['items=0-1', 10, undefined],
    ['bytes=99999999999999999999-', 10, undefined],
  ])('%s on %i bytes → %j', (header, size, expected) => {
    expect(resolveRange(header, size)).toEqual(expected)
  })
})

describe('If-None-Match', () => {
  it.each([
    [undefined, false],
    ['"abc"', true],
    ['W/"abc"', true],
    ['"x", "abc"', true],
    ['*', true],
    ['"abcd"', false],
  ])('%s → %s', (header, expected) => {
    expect(noneMatch(header, '"abc"')).toBe(expected)
  })
})
