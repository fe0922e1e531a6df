import { describe, expect, it } from 'vitest'
import { isStratusError } from '../core/errors.ts'
import type { Trigger } from './model.ts'
import { checkTrigger, suggestEventType, triggerableTypes } from './trigger-check.ts'

/** The error checkTrigger throws for `trigger`, or undefined when it passes. */
function problem(trigger: Trigger): { code: string; details: unknown } | undefined {
  try {
    checkTrigger(trigger, 0)
    return undefined
  } catch (error) {
    if (!isStratusError(error)) throw error
    return { code: error.code, details: error.details }
  }
}

describe('trigger checks at deploy', () => {
  it('leaves out the types a trigger never sees', () => {
    expect(triggerableTypes('**')).not.toContain('schedule.tick')
    expect(triggerableTypes('**')).not.toContain('http.request')
    expect(triggerableTypes('**')).not.toContain('functions.function.changed')
    expect(triggerableTypes('db.document.*')).toEqual([
      'db.document.created',
      'db.document.updated',
      'db.document.deleted',
    ])
  })

  it.each([
    [{ type: 'event', event: 'db.document.created' }],
    [{ type: 'event', event: 'db.document.*', subject: 'collections/posts/documents/*' }],
    [{ type: 'event', event: 'storage.object.*', subject: 'buckets/avatars/objects/**' }],
    [{ type: 'event', event: '*.*.created', subject: 'users/*' }],
    [{ type: 'event', event: 'queue.message.published', subject: 'queues/orders-*' }],
    [{ type: 'http' }],
    [{ type: 'queue', queue: 'emails' }],
  ] as [Trigger][])('accepts %j', (trigger) => {
    expect(problem(trigger)).toBeUndefined()
  })

  it.each([
    [{ type: 'event', event: 'db.document.create' }, 'event', 'db.document.created'],
    [{ type: 'event', event: 'DB.Document.Created' }, 'event', 'db.document.created'],
    [{ type: 'event', event: 'db.*' }, 'event', 'db.**'],
    [{ type: 'event', event: 'auth.users.created' }, 'event', 'auth.user.created'],
    [{ type: 'event', event: 'schedule.tick' }, 'event', expect.any(String)],
    [{ type: 'event', event: 'functions.function.changed' }, 'event', expect.any(String)],
    [
      { type: 'event', event: 'db.document.created', subject: 'collections/posts/*' },
      'subject',
      'collections/posts/documents/*',
    ],
    [{ type: 'event', event: 'auth.user.created', subject: 'user/*' }, 'subject', 'users/*'],
    [
      { type: 'event', event: 'queue.message.published', subject: 'queue/emails' },
      'subject',
      'queues/emails',
    ],
  ] as [Trigger, string, unknown][])('refuses %j: %s, suggesting %j', (trigger, field, suggestion) => {
    expect(problem(trigger)).toEqual({
      code: 'functions/invalid-trigger',
      details: expect.objectContaining({ index: 0, field, suggestion }),
    })
  })

  it('a suggested event type is one a trigger can fire on', () => {
    for (const given of ['x', 'db', 'storage.object', 'queue.*', 'auth.*.*.*']) {
      expect(triggerableTypes(suggestEventType(given)).length).toBeGreaterThan(0)
    }
  })

  it.each([
    ['*/5 * * * *', undefined],
    ['0 3 * * *', 'Europe/Paris'],
    ['0 0 * * * *', undefined],
  ])('accepts the schedule %j in %s', (cron, timezone) => {
    expect(problem({ type: 'schedule', cron, timezone })).toBeUndefined()
  })

  it.each([
    ['* * * *', undefined],
    ['0 0 1W * *', undefined],
    ['H * * * *', undefined],
    ['61 * * * *', undefined],
    ['0 3 * * *', 'Mars/Olympus_Mons'],
  ])('refuses the schedule %j in %s', (cron, timezone) => {
    expect(problem({ type: 'schedule', cron, timezone })?.code).toBe('request/invalid')
  })
})
