import { describe, expect, it } from 'vitest'
import { buildSeries, parseSeriesRequest, quantileOf } from './query.ts'

const NOW = Date.UTC(2026, 10, 30, 12, 0, 30)

describe('series queries', () => {
  it('defaults to the last hour in one-minute steps, from rounded down to its minute', () => {
    const r = parseSeriesRequest({ metric: 'requests' }, NOW)
    expect(r.stepSeconds).toBe(60)
    expect(r.to.getTime()).toBe(NOW)
    expect(r.from.toISOString()).toBe('2026-11-30T11:00:00.000Z')
  })

  it('zero-fills counters over every step and scales stored units', () => {
    const request = parseSeriesRequest(
      { metric: 'function_gb_seconds', groupBy: 'function', from: '2026-11-30T11:58:00Z', step: '60' },
      NOW,
    )
    const series = buildSeries(request, [
      { t: Date.UTC(2026, 10, 30, 11, 59) / 1000, groups: ['f'], value: 2048_000 },
    ])
    expect(series).toEqual([
      {
        labels: { function: 'f' },
        points: [
          ['2026-11-30T11:58:00.000Z', 0],
          ['2026-11-30T11:59:00.000Z', 2],
          ['2026-11-30T12:00:00.000Z', 0],
        ],
      },
    ])
  })

  it('reads percentiles off summed buckets, interpolating within one', () => {
    expect(quantileOf(0.5, new Map([['10', 4]]))).toBe(7.5)
    expect(
      quantileOf(
        0.95,
        new Map([
          ['1', 95],
          ['+Inf', 5],
        ]),
      ),
    ).toBe(1)
    expect(quantileOf(0.99, new Map([['+Inf', 1]]))).toBe(10_000)
    expect(quantileOf(0.5, new Map())).toBeUndefined()
  })
})
