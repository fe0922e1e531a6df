import { describe, expect, it } from 'vitest'
import { globMatch } from '../services/core/glob.ts'
import { replayFilters, subjectGlobToPostgres } from './replay-store.ts'

/** A JavaScript reading of the Postgres pattern (the constructs it uses read alike in both). */
function asJs(pattern: string): RegExp {
  return new RegExp(pattern)
}

describe('replay filters', () => {
  it.each([
    ['collections/posts/documents/*', '^collections\\/posts\\/documents\\/[^/]*$'],
    ['buckets/a.b/objects/**', '^buckets\\/a\\.b\\/objects\\/[^\\n\\r\\u2028\\u2029]*$'],
    ['queues/q?', '^queues\\/q[^/]$'],
    ['users/$(x)', '^users\\/\\$\\(x\\)$'],
  ])('%s → %s', (glob, pattern) => {
    expect(subjectGlobToPostgres(glob)).toBe(pattern)
  })

  it.each([
    [
      'collections/posts/documents/*',
      [
        'collections/posts/documents/p1',
        'collections/posts/documents/',
        'collections/posts/documents/a/b',
        'collections/postsX/documents/p1',
      ],
    ],
    [
      'buckets/avatars/objects/**',
      ['buckets/avatars/objects/a/b/c.png', 'buckets/avatars/objects/', 'buckets/avatar/objects/x'],
    ],
    ['queues/orders-?', ['queues/orders-1', 'queues/orders-12', 'queues/orders-/']],
    ['users/[a]+', ['users/[a]+', 'users/a']],
  ])('accepts what the dispatcher matches: %s', (glob, subjects) => {
    const pattern = asJs(subjectGlobToPostgres(glob))
    for (const subject of subjects)
      expect([subject, pattern.test(subject)]).toEqual([subject, globMatch(glob, subject, '/')])
  })

  it('reads the event triggers only, with their catalog types', () => {
    expect(
      replayFilters([
        { type: 'http' },
        { type: 'queue', queue: 'q' },
        { type: 'event', event: 'db.document.*', subject: 'collections/posts/documents/*' },
        { type: 'event', event: 'auth.user.created' },
        { type: 'event', event: 'no.such.type' },
      ]),
    ).toEqual([
      {
        types: ['db.document.created', 'db.document.updated', 'db.document.deleted'],
        subject: '^collections\\/posts\\/documents\\/[^/]*$',
      },
      { types: ['auth.user.created'], subject: null },
    ])
  })
})
