import { describe, expect, it } from 'vitest'
import { globMatch } from './glob.ts'

describe('globMatch', () => {
  it.each([
    ['collections/posts/*', 'collections/posts/documents', true],
    ['collections/posts/*', 'collections/posts/documents/a', false],
    ['collections/posts/**', 'collections/posts/documents/a', true],
    ['collections/*/documents/*', 'collections/posts/documents/a1', true],
    ['collections/*/documents/*', 'collections/posts/documents/', true],
    ['collections/posts/documents/a?', 'collections/posts/documents/a1', true],
    ['collections/posts/documents/a?', 'collections/posts/documents/a12', false],
    ['buckets/avatars/objects/**', 'buckets/avatars/objects/u/1.png', true],
    ['collections/po.ts/*', 'collections/poXts/x', false],
    ['a+b(c)/[x]', 'a+b(c)/[x]', true],
    ['**', 'anything/at/all', true],
  ])('%s ~ %s → %s', (glob, value, expected) => {
    expect(globMatch(glob, value, '/')).toBe(expected)
  })

  it('uses dots as the separator of event types', () => {
    expect(globMatch('db.document.*', 'db.document.created', '.')).toBe(true)
    expect(globMatch('db.*', 'db.document.created', '.')).toBe(false)
    expect(globMatch('db.**', 'db.document.created', '.')).toBe(true)
    expect(globMatch('*.user.created', 'auth.user.created', '.')).toBe(true)
  })
})
