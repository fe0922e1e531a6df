import { describe, expect, it } from 'vitest'
import type { Trigger } from '../services/functions/model.ts'
import { globMatch, matchEvent } from './triggers.ts'

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

describe('matchEvent', () => {
  const created = { type: 'db.document.created', subject: 'collections/posts/documents/p1' }
  it.each<[Trigger[], { type: string; subject: string }, string | undefined]>([
    [[{ type: 'event', event: 'db.document.created' }], created, 'event'],
    [
      [{ type: 'event', event: 'db.document.created', subject: 'collections/posts/documents/*' }],
      created,
      'event',
    ],
    [
      [{ type: 'event', event: 'db.document.created', subject: 'collections/users/documents/*' }],
      created,
      undefined,
    ],
    [[{ type: 'event', event: 'db.document.updated' }], created, undefined],
    [[{ type: 'http' }, { type: 'schedule', cron: '* * * * *' }], created, undefined],
    [
      [{ type: 'queue', queue: 'emails' }],
      { type: 'queue.message.published', subject: 'queues/emails' },
      'queue',
    ],
    [
      [{ type: 'queue', queue: 'emails' }],
      { type: 'queue.message.published', subject: 'queues/other' },
      undefined,
    ],
    [
      [{ type: 'event', event: 'queue.message.published', subject: 'queues/*' }],
      { type: 'queue.message.published', subject: 'queues/emails' },
      'event',
    ],
  ])('%j on %j → %s', (triggers, event, expected) => {
    expect(matchEvent(triggers, event)).toBe(expected)
  })
})
