import { afterEach, describe, expect, it, vi } from 'vitest'
import { UserCache } from './user-cache.ts'
import type { UserRow } from './users.ts'

const row = (id: string) => ({ id }) as UserRow

describe('UserCache', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('remembers a user+session until the TTL passes', () => {
    vi.useFakeTimers()
    const cache = new UserCache({ ttlMs: 1000 })
    cache.set('u', 's', row('u'))
    expect(cache.get('u', 's')?.id).toBe('u')
    expect(cache.get('u', 'other')).toBeUndefined()
    vi.advanceTimersByTime(1001)
    expect(cache.get('u', 's')).toBeUndefined()
  })

  it('forgets every session of a user at once', () => {
    const cache = new UserCache({ ttlMs: 60_000 })
    cache.set('u', 's1', row('u'))
    cache.set('u', 's2', row('u'))
    cache.set('v', 's3', row('v'))
    cache.forget('u')
    expect(cache.get('u', 's1')).toBeUndefined()
    expect(cache.get('u', 's2')).toBeUndefined()
    expect(cache.get('v', 's3')?.id).toBe('v')
  })

  it('is off with a TTL of 0, and bounded in size', () => {
    const off = new UserCache({ ttlMs: 0 })
    off.set('u', 's', row('u'))
    expect(off.get('u', 's')).toBeUndefined()
    const small = new UserCache({ ttlMs: 60_000, maxEntries: 2 })
    small.set('a', 's', row('a'))
    small.set('b', 's', row('b'))
    small.set('c', 's', row('c'))
    expect(small.get('a', 's')).toBeUndefined()
    expect(small.get('c', 's')?.id).toBe('c')
  })
})
