import { describe, expect, it } from 'vitest'
import { globMatch } from '../core/glob.ts'
import { subjectFilter } from './traces.ts'

describe('subjectFilter', () => {
  it('keeps the literal prefix of a glob, and its anchored expression', () => {
    expect(subjectFilter('collections/posts/documents/*')).toEqual({
      regex: '^collections\\/posts\\/documents\\/[^/]*$',
      prefix: 'collections/posts/documents/',
    })
    expect(subjectFilter('queues/mail').prefix).toBe('queues/mail')
    expect(subjectFilter('**').prefix).toBe('')
    expect(subjectFilter('buckets/a?c/objects/**').prefix).toBe('buckets/a')
  })

  it('means what the trigger glob means', () => {
    const cases: Array<[string, string, boolean]> = [
      ['collections/*/documents/*', 'collections/posts/documents/p1', true],
      ['collections/*/documents/*', 'collections/posts/documents/p1/x', false],
      ['buckets/b/objects/**', 'buckets/b/objects/a/b/c.txt', true],
      ['users/?', 'users/a', true],
      ['users/?', 'users/ab', false],
      ['queues/a.b', 'queues/aXb', false],
      ['queues/(x)+', 'queues/(x)+', true],
    ]
    for (const [glob, subject, expected] of cases) {
      const { regex, prefix } = subjectFilter(glob)
      expect(new RegExp(regex).test(subject) && subject.startsWith(prefix), `${glob} ~ ${subject}`).toBe(
        expected,
      )
      expect(globMatch(glob, subject, '/')).toBe(expected)
    }
  })
})
