import { describe, expect, it } from 'vitest'
import { formatFieldPath, parseFieldPath, valueAt } from './paths.ts'

describe('field paths', () => {
  it.each([
    ['title', ['title']],
    ['address.city', ['address', 'city']],
    ['`a.b`.c', ['a.b', 'c']],
    ['`$price`', ['$price']],
    ['`with \\` tick`', ['with ` tick']],
    ['名前.город', ['名前', 'город']],
    ['tags.0', ['tags', '0']],
  ])('parses %j', (path, segments) => {
    const parsed = parseFieldPath(path)
    expect(parsed).toEqual(segments)
    expect(parseFieldPath(formatFieldPath(parsed))).toEqual(segments)
  })

  it.each([[''], ['a..b'], ['.a'], ['a.'], ['`a'], ['`a`b'], ['a`b'], ['$x'], [42], ['`\\n`']])(
    'refuses %j with db/invalid-query',
    (path) => {
      expect(() => parseFieldPath(path)).toThrow(expect.objectContaining({ code: 'db/invalid-query' }))
    },
  )

  it('reads values through objects only', () => {
    const data = { a: { b: 1 }, tags: ['x'], 'a.b': 2, n: null }
    expect(valueAt(data, ['a', 'b'])).toBe(1)
    expect(valueAt(data, ['a.b'])).toBe(2)
    expect(valueAt(data, ['tags', '0'])).toBeUndefined()
    expect(valueAt(data, ['n'])).toBeNull()
    expect(valueAt(data, ['n', 'x'])).toBeUndefined()
    expect(valueAt(data, ['toString'])).toBeUndefined()
  })
})
