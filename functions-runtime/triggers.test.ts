import { describe, expect, it } from 'vitest'
import type { Trigger } from '../services/functions/model.ts'
import { matchEvent } from './triggers.ts'

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
