import { describe, expect, it } from 'vitest'
import { errorRates, ratesOf, summarize } from './overview-series.ts'

const t0 = '2026-12-07T10:00:00.000Z'
const t1 = '2026-12-07T10:01:00.000Z'

describe('overview series', () => {
  it('turns per-step counts into per-second rates', () => {
    const lines = ratesOf(
      { metric: 'requests', step: 60, series: [{ labels: { service: 'db' }, points: [[t0, 120]] }] },
      'service',
    )
    expect(lines).toEqual([{ label: 'db', points: [[Date.parse(t0), 2]] }])
  })

  it('computes error rates per step from status classes, leaving out steps without requests', () => {
    const lines = errorRates({
      metric: 'requests',
      step: 60,
      series: [
        {
          labels: { status: '2xx' },
          points: [
            [t0, 90],
            [t1, 0],
          ],
        },
        {
          labels: { status: '5xx' },
          points: [
            [t0, 10],
            [t1, 0],
          ],
        },
      ],
    })
    expect(lines).toEqual([
      { label: '5xx', points: [[Date.parse(t0), 10]] },
      { label: '4xx', points: [[Date.parse(t0), 0]] },
    ])
  })

  it('summarizes the last value of each line for screen readers', () => {
    expect(summarize([{ label: 'db', points: [[1, 2.345]] }], '/s', 2)).toBe('db 2.35 /s')
    expect(summarize([], 'ms')).toBe('no data in this period')
  })
})
