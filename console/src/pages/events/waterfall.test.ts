import { describe, expect, it } from 'vitest'
import type { Span } from '../../api/events.ts'
import { layoutWaterfall } from './waterfall.ts'

const at = (ms: number) => new Date(Date.UTC(2026, 11, 7, 10, 0, 0, ms)).toISOString()
const span = (
  id: string,
  parentId: string | null,
  start: number,
  end: number | null,
  kind: Span['kind'] = 'execution',
): Span => ({
  id,
  parentId,
  kind,
  name: id,
  start: at(start),
  end: end === null ? null : at(end),
  status: 'ok',
  attributes: {},
})

describe('layoutWaterfall', () => {
  it('orders spans depth-first, children by start, and places them on one axis', () => {
    const { rows, totalMs } = layoutWaterfall([
      span('exec-2', 'event', 60, 100),
      span('request', null, 0, 20, 'request'),
      span('event', 'request', 10, 12, 'event'),
      span('exec-1', 'event', 30, 50),
    ])
    expect(totalMs).toBe(100)
    expect(rows.map((r) => [r.span.id, r.depth])).toEqual([
      ['request', 0],
      ['event', 1],
      ['exec-1', 2],
      ['exec-2', 2],
    ])
    expect(rows[2]).toMatchObject({ offsetPct: 30, widthPct: 20, durationMs: 20 })
  })

  it('treats a span whose parent is missing as a root, and an open span as running to the end', () => {
    const { rows } = layoutWaterfall([span('a', 'gone', 0, 10), span('b', 'a', 5, null)])
    expect(rows.map((r) => [r.span.id, r.depth])).toEqual([
      ['a', 0],
      ['b', 1],
    ])
    expect(rows[1]).toMatchObject({ durationMs: null, offsetPct: 50, widthPct: 50 })
  })

  it('survives a cycle in parent links without looping, and still shows its spans', () => {
    const { rows } = layoutWaterfall([span('a', 'b', 0, 1), span('b', 'a', 0, 1)])
    expect(rows.map((r) => [r.span.id, r.depth])).toEqual([
      ['a', 0],
      ['b', 1],
    ])
  })
})
