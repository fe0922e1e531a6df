import { describe, expect, it } from 'vitest'
import {
  type DesiredResource,
  differingFields,
  emptyProject,
  type LiveResource,
  missingReferences,
  namesAfter,
  plan,
} from './plan.ts'

const live = (spec: Record<string, unknown>, holds = 0, protect = false): LiveResource => ({
  spec,
  holds,
  protect,
})
const want = (spec: Record<string, unknown>, extra: Partial<DesiredResource> = {}): DesiredResource => ({
  spec,
  protect: false,
  ...extra,
})

function projects() {
  return { desired: emptyProject<DesiredResource>(), current: emptyProject<LiveResource>() }
}

describe('plan', () => {
  it('is empty when every declared resource is live as declared', () => {
    const { desired, current } = projects()
    desired.collection.set('orders', want({ rules: { read: true }, indexes: [] }))
    current.collection.set('orders', live({ indexes: [], rules: { read: true } }))
    expect(plan(desired, current, { prune: true })).toEqual({
      changes: [],
      protectedDeletes: [],
      problems: [],
    })
  })

  it('creates, updates (naming the fields) and keeps what the manifest does not name', () => {
    const { desired, current } = projects()
    desired.queue.set('emails', want({ rules: {} }))
    desired.bucket.set('avatars', want({ public: true, rules: {} }))
    current.bucket.set('avatars', live({ public: false, rules: {} }))
    current.collection.set('legacy', live({}, 10))
    expect(plan(desired, current, { prune: false }).changes).toEqual([
      { action: 'update', kind: 'bucket', name: 'avatars', dataLoss: false, fields: ['public'] },
      { action: 'create', kind: 'queue', name: 'emails', dataLoss: false },
    ])
  })

  it('deletes what it does not name only with prune, marking data loss, dependents first', () => {
    const { desired, current } = projects()
    current.collection.set('full', live({}, 3))
    current.collection.set('empty', live({}, 0))
    current.function.set('old', live({ code: 'x' }))
    current.queue.set('q', live({}, 0))
    expect(plan(desired, current, { prune: false }).changes).toEqual([])
    expect(plan(desired, current, { prune: true }).changes).toEqual([
      { action: 'delete', kind: 'function', name: 'old', dataLoss: true },
      { action: 'delete', kind: 'queue', name: 'q', dataLoss: false },
      { action: 'delete', kind: 'collection', name: 'empty', dataLoss: false },
      { action: 'delete', kind: 'collection', name: 'full', dataLoss: true },
    ])
  })

  it('never deletes the auth settings', () => {
    const { desired, current } = projects()
    current.authSettings.set('settings', live({ redirectUrls: ['x'] }))
    expect(plan(desired, current, { prune: true }).changes).toEqual([])
  })

  it('renames with renamedFrom (no delete, no data loss), and reports settings changed on the way', () => {
    const { desired, current } = projects()
    desired.collection.set('orders', want({ rules: { read: true } }, { renamedFrom: 'old_orders' }))
    current.collection.set('old_orders', live({ rules: { read: false } }, 5))
    expect(plan(desired, current, { prune: true }).changes).toEqual([
      {
        action: 'rename',
        kind: 'collection',
        name: 'orders',
        from: 'old_orders',
        dataLoss: false,
        fields: ['rules'],
      },
    ])
  })

  it('treats renamedFrom as done once the new name is live, and as a create when neither is', () => {
    const { desired, current } = projects()
    desired.collection.set('orders', want({}, { renamedFrom: 'old_orders' }))
    desired.function.set('f', want({ code: 'x' }, { renamedFrom: 'g' }))
    current.collection.set('orders', live({}))
    expect(plan(desired, current, { prune: false }).changes).toEqual([
      { action: 'create', kind: 'function', name: 'f', dataLoss: false },
    ])
  })

  it('refuses a rename when both names are live, or when the source is declared too', () => {
    const { desired, current } = projects()
    desired.collection.set('a', want({}, { renamedFrom: 'b' }))
    current.collection.set('a', live({}))
    current.collection.set('b', live({}))
    desired.function.set('f', want({}, { renamedFrom: 'g' }))
    desired.function.set('g', want({}))
    const result = plan(desired, current, { prune: false })
    expect(result.problems.map((p) => p.path)).toEqual([
      'collections.a.renamedFrom',
      'functions.f.renamedFrom',
    ])
  })

  it('lists the deletes of protected resources', () => {
    const { desired, current } = projects()
    current.queue.set('keep', live({}, 0, true))
    current.queue.set('drop', live({}, 0, false))
    const result = plan(desired, current, { prune: true })
    expect(result.protectedDeletes).toEqual([
      { action: 'delete', kind: 'queue', name: 'keep', dataLoss: false },
    ])
  })
})

describe('differingFields', () => {
  it('compares values whatever their key order, absent as null', () => {
    expect(differingFields({ a: { x: 1, y: 2 }, b: null }, { a: { y: 2, x: 1 } })).toEqual([])
    expect(differingFields({ a: 1, c: [1, 2] }, { a: 2, c: [2, 1] })).toEqual(['a', 'c'])
  })
})

describe('missingReferences', () => {
  it('names triggers whose queue, collection or bucket will not exist', () => {
    const { desired, current } = projects()
    current.queue.set('live_q', live({}))
    current.collection.set('posts', live({}))
    desired.bucket.set('new_bucket', want({}))
    const after = namesAfter(current, desired, [
      { action: 'delete', kind: 'collection', name: 'posts', dataLoss: false },
    ])
    const functions = new Map([
      [
        'f',
        {
          triggers: [
            { type: 'queue' as const, queue: 'live_q' },
            { type: 'queue' as const, queue: 'nope' },
            {
              type: 'event' as const,
              event: 'db.document.created',
              subject: 'collections/posts/documents/*',
            },
            {
              type: 'event' as const,
              event: 'storage.object.created',
              subject: 'buckets/new_bucket/objects/**',
            },
            { type: 'event' as const, event: 'db.document.created', subject: 'collections/*/documents/*' },
            { type: 'http' as const },
          ],
        },
      ],
    ])
    expect(missingReferences(functions, after).map((p) => p.path)).toEqual([
      'functions.f.triggers.1.queue',
      'functions.f.triggers.2.subject',
    ])
  })
})
