import { describe, expect, it } from 'vitest'
import {
  canMatch,
  EVENT_CATALOG,
  type EventType,
  EventTypes,
  eventTypesMatching,
  isEventType,
  subjectShape,
  suggestPattern,
} from './event-catalog.ts'
import { makeEvent } from './events.ts'
import { globMatch } from './glob.ts'

describe('the catalog', () => {
  it('names every type it defines, once', () => {
    expect(Object.values(EventTypes).sort()).toEqual(Object.keys(EVENT_CATALOG).sort())
  })

  it.each([
    ['db.document.created', true],
    ['auth.user.deleted', true],
    ['functions.function.changed', true],
    ['db.document.*', false],
    ['db.document.archived', false],
    ['toString', false],
    ['', false],
  ])('isEventType(%j) → %s', (type, expected) => {
    expect(isEventType(type)).toBe(expected)
  })

  it.each([
    ['auth.user.updated', 'users/{uid}'],
    ['db.document.deleted', 'collections/{collection}/documents/{id}'],
    ['storage.object.created', 'buckets/{bucket}/objects/{key...}'],
    ['queue.message.published', 'queues/{queue}'],
    ['schedule.tick', 'functions/{name}'],
  ] as const)('subjectShape(%s) → %s', (type, shape) => {
    expect(subjectShape(type)).toBe(shape)
  })

  it.each([
    ['db.document.*', ['db.document.created', 'db.document.updated', 'db.document.deleted']],
    ['*.*.created', ['auth.user.created', 'db.document.created', 'storage.object.created']],
    ['queue.**', ['queue.message.published']],
    ['db.*', []],
    ['http.request', ['http.request']],
  ])('eventTypesMatching(%s)', (glob, types) => {
    expect(eventTypesMatching(glob)).toEqual(types)
  })

  it('builds events of catalog types only, with their data', () => {
    const event = makeEvent({
      type: EventTypes.queueMessagePublished,
      subject: 'queues/emails',
      data: { id: 'm1', payload: { to: 'a@example.com' } },
    })
    expect(event).toMatchObject({ type: 'queue.message.published', specversion: '1.0', source: '/stratus' })
    // @ts-expect-error: not a catalog type
    makeEvent({ type: 'db.document.archived', subject: 'x', data: {} })
    // @ts-expect-error: a created document event carries `document`, not `previous`
    makeEvent({ type: EventTypes.documentCreated, subject: 'x', data: { previous: event.data } })
  })
})

describe('canMatch', () => {
  it.each([
    ['db.document.created', 'collections/posts/documents/*', true],
    ['db.document.created', 'collections/*/documents/p1', true],
    ['db.document.created', 'collections/posts/**', true],
    ['db.document.created', '**', true],
    ['db.document.created', 'collections/po?ts/documents/a*', true],
    ['db.document.created', 'collections/posts/*', false],
    ['db.document.created', 'collections/posts', false],
    ['db.document.created', 'collections/posts/documents', false],
    ['db.document.created', 'collections/posts/documents/', false],
    ['db.document.created', 'collections/posts/documents/a/b', false],
    ['db.document.created', 'collections/*/*/*/*', false],
    ['db.document.created', 'users/*', false],
    ['db.document.created', 'collections/posts/documents/**', true],
    ['db.document.created', 'collections/posts/documents/x/**', false],
    ['storage.object.created', 'buckets/avatars/objects/*', true],
    ['storage.object.created', 'buckets/avatars/objects/u/*.png', true],
    ['storage.object.created', 'buckets/avatars/objects/**', true],
    ['storage.object.created', 'buckets/avatars/*', false],
    ['storage.object.created', 'buckets/avatars/objects', false],
    ['auth.user.created', 'users/*', true],
    ['auth.user.created', 'users/**', true],
    ['auth.user.created', 'users/a/b', false],
    ['queue.message.published', 'queues/emails', true],
    ['queue.message.published', 'queues/*/x', false],
    ['queue.message.published', '*/*', true],
    ['queue.message.published', '*', false],
  ] as const)('%s on %s → %s', (type, pattern, expected) => {
    expect(canMatch(type, pattern)).toBe(expected)
  })

  // Agrees with the matcher the dispatcher uses: every pattern that matches a real subject can match.
  const subjects: Record<string, string[]> = {
    'db.document.created': ['collections/posts/documents/p1', 'collections/a-b/documents/x_y'],
    'storage.object.deleted': ['buckets/b/objects/k', 'buckets/b/objects/a/b/c.txt'],
    'auth.user.updated': ['users/u1'],
  }
  const patterns = [
    '**',
    '*',
    '*/*',
    '*/*/*/*',
    'collections/**',
    'collections/posts/*',
    'collections/*/documents/*',
    'buckets/b/objects/*',
    'buckets/b/objects/**',
    'buckets/*/objects/a/*/c.txt',
    'users/*',
    'users/u?',
    '**/c.txt',
  ]
  it.each(Object.entries(subjects))('never says no to a pattern that matches a %s subject', (type, list) => {
    for (const pattern of patterns) {
      if (list.some((subject) => globMatch(pattern, subject, '/'))) {
        expect(canMatch(type as EventType, pattern), pattern).toBe(true)
      }
    }
  })
})

describe('suggestPattern', () => {
  it.each([
    ['db.document.created', 'collections/posts/*', 'collections/posts/documents/*'],
    ['db.document.created', 'collections/posts', 'collections/posts/documents/*'],
    ['db.document.created', 'collections/*', 'collections/*/documents/*'],
    ['db.document.created', 'posts/*', 'collections/posts/documents/*'],
    ['db.document.updated', 'collections/documents/p1', 'collections/*/documents/p1'],
    ['db.document.deleted', 'collections/posts/documents/p1/extra', 'collections/posts/documents/p1'],
    ['db.document.created', 'collections/posts/documents/*', 'collections/posts/documents/*'],
    ['storage.object.created', 'buckets/avatars/*', 'buckets/avatars/objects/**'],
    ['storage.object.created', 'buckets/avatars', 'buckets/avatars/objects/**'],
    ['storage.object.deleted', 'buckets/avatars/u/*.png', 'buckets/avatars/objects/u/*.png'],
    ['auth.user.created', 'user/*', 'users/*'],
    ['db.document.created', 'collection/posts/document/*', 'collections/posts/documents/*'],
    ['db.document.created', 'collections/a/b', 'collections/a/documents/b'],
    ['queue.message.published', 'emails', 'queues/emails'],
    ['queue.message.published', 'queues/emails/x', 'queues/emails'],
    ['db.document.created', 'users/*', 'collections/users/documents/*'],
  ] as const)('%s on %s → %s', (type, pattern, suggestion) => {
    expect(suggestPattern(type, pattern)).toBe(suggestion)
    expect(canMatch(type, suggestion)).toBe(true)
  })

  it('drops what the shape has no room for', () => {
    expect(suggestPattern('db.document.created', '/')).toBe('collections/*/documents/*')
    expect(suggestPattern('db.document.created', 'collections/a/b/c/d')).toBe('collections/a/documents/b')
    expect(suggestPattern('db.document.created', 'collections/a/documents/b/c')).toBe(
      'collections/a/documents/b',
    )
    expect(suggestPattern('db.document.created', 'collections/a/documents/x/**')).toBe(
      'collections/a/documents/x',
    )
  })
})
