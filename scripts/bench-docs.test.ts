import { describe, expect, it } from 'vitest'
import type { RecordedResult } from '../test/bench/results.ts'
import { END, goals, renderBenchTable, START, withBenchTable } from './bench-docs.ts'

const entry = (result: Record<string, unknown>): RecordedResult => ({
  result: { name: 'x', metric: 'm', value: 1, unit: 'req/s', baseline: 2, ratio: 0.5, ...result },
  date: '2026-12-01T10:00:00.000Z',
  machine: { cpus: 2, loadavg: [1.5, 1, 0.25] },
})

describe('bench table', () => {
  it('holds each goal_* against its field, or the value, in the right direction', () => {
    expect(goals(entry({ ratio: 0.57, goal_ratio: 0.5 }))).toBe('ratio ≥ 0.5 (met)')
    expect(goals(entry({ ratio: 0.4, goal_ratio: 0.5 }))).toBe('ratio ≥ 0.5 (**not met**)')
    // functions-trigger: value is the p99 in ms; there is no p99_ms field.
    expect(goals(entry({ value: 27, unit: 'ms', goal_p99_ms: 50 }))).toBe('p99_ms ≤ 50 ms (met)')
    expect(goals(entry({ value: 80, unit: 'MiB', goal_value: 64 }))).toBe('≤ 64 MiB (**not met**)')
    expect(goals(entry({ p99_ms_at_70pct: 61, goal_p99_ms_at_70pct: 50 }))).toBe(
      'p99_ms_at_70pct ≤ 50 ms (**not met**)',
    )
    expect(goals(entry({}))).toBe('–')
  })

  it('renders one row per bench, sorted, and replaces only the text between the markers', () => {
    const table = renderBenchTable({
      b: entry({ name: 'b', value: 12345.6, goal_ratio: 0.7 }),
      a: { ...entry({ name: 'a' }), benchSeconds: 2 },
    })
    const rows = table.split('\n').slice(2)
    expect(rows[0]).toBe(
      '| `a` | m | 1 | req/s | 2 | 0.5 | – | 2 cores, load 1.50 / 1.00 / 0.25, 2 s phases | 2026-12-01 |',
    )
    expect(rows[1]).toContain('| `b` | m | 12,346 | req/s |')
    const doc = `intro\n${START}\nold table\n${END}\nafter\n`
    expect(withBenchTable(doc, {})).toBe(
      `intro\n${START}\n_No results recorded yet: run \`npm run bench -- NAME\`._\n${END}\nafter\n`,
    )
    expect(() => withBenchTable('no markers', {})).toThrow(/markers/)
  })
})
