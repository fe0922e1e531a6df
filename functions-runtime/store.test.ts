import { v7 } from 'uuid'
import { describe, expect, it } from 'vitest'
import { uuidv7Floor } from './store.ts'

describe('uuidv7Floor', () => {
  it('sorts below every UUIDv7 made at or after its millisecond, above those made before', () => {
    const now = Date.now()
    const floor = uuidv7Floor(now)
    for (let i = 0; i < 100; i++) {
      expect(floor < v7({ msecs: now + i })).toBe(true)
      expect(floor > v7({ msecs: now - 1 - i })).toBe(true)
    }
  })
})
