import { describe, expect, it } from 'vitest'
import { checkReplayRange, ENV_MASK, envChanges, maskEnv, parseIsoTime, parseWindow } from './admin-views.ts'

describe('admin views of functions', () => {
  it('masks every env value and compares values without showing them', () => {
    expect(maskEnv({ A: 'secret', B: '' })).toEqual({ A: ENV_MASK, B: ENV_MASK })
    expect(envChanges({ A: '1', B: '2', C: '3' }, { A: '1', B: 'two', D: '4' })).toEqual({
      added: ['D'],
      removed: ['C'],
      changed: ['B'],
    })
  })

  it.each([
    '2026-11-30T12:00:00Z',
    '2026-11-30T12:00Z',
    '2026-11-30T12:00:00.123+01:00',
    '2026-11-30T12:00:00-0500',
  ])('reads %s', (value) => {
    expect(parseIsoTime('from', value)).toBe(Date.parse(value))
  })

  it.each(['2026-11-30', '2026-11-30T12:00:00', 'yesterday', '1', '2026-13-01T00:00:00Z'])(
    'refuses %s',
    (value) => {
      expect(() => parseIsoTime('from', value)).toThrow(/ISO-8601/)
    },
  )

  it('checks a window and a replay range', () => {
    expect(parseWindow({})).toEqual({ from: undefined, to: undefined })
    expect(() => parseWindow({ from: '2026-11-30T12:00:00Z', to: '2026-11-30T11:00:00Z' })).toThrow(/after/)
    expect(checkReplayRange({ fromTime: '2026-11-30T13:00:00+01:00', toSequence: 9 })).toEqual({
      fromTime: '2026-11-30T12:00:00.000Z',
      toSequence: 9,
    })
    for (const bad of [
      {},
      { fromSequence: 1, fromTime: '2026-11-30T12:00:00Z' },
      { fromSequence: 1, toSequence: 2, toTime: '2026-11-30T12:00:00Z' },
      { fromSequence: 3, toSequence: 2 },
      { fromTime: '2026-11-30T12:00:00Z', toTime: '2026-11-30T11:00:00Z' },
    ]) {
      expect(() => checkReplayRange(bad)).toThrow()
    }
  })
})
