import { describe, expect, it } from 'vitest'
import type { RecordedResult, RunSummary } from '../test/bench/results.ts'
import {
  END,
  goals,
  renderBenchTable,
  renderSummary,
  START,
  SUMMARY_END,
  SUMMARY_START,
  withBenchTable,
  withSummaryTable,
} from './bench-docs.ts'

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
    expect(goals(entry({ rssPerIdleConnectionKiB: 7.4, goal_rssPerIdleConnectionKiB: 8 }))).toBe(
      'rssPerIdleConnectionKiB ≤ 8 KiB (met)',
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

describe('run summary', () => {
  const summary: RunSummary = {
    scale: 'full',
    startedAt: '2026-12-07T10:00:00.000Z',
    finishedAt: '2026-12-07T10:20:00.000Z',
    seconds: 1200,
    machine: { cpus: 2, loadavgStart: [3.1, 2, 1], loadavgEnd: [5.25, 4, 2] },
    benches: [
      {
        name: 'gateway',
        status: 'ok',
        seconds: 12.3,
        exitCode: 0,
        result: {
          name: 'gateway',
          metric: 'm',
          value: 9858.4,
          unit: 'req/s',
          baseline: 1,
          ratio: 0.64,
          goal_ratio: 0.7,
        },
        loadavgStart: [3.1, 2, 1],
        loadavgEnd: [3.5, 2, 1],
      },
      {
        name: 'outbox',
        status: 'failed',
        seconds: 45,
        exitCode: 1,
        error: 'bench outbox FAILED: no result within its time limit of 45 s; it was waiting for x | y',
        loadavgStart: [3.5, 2, 1],
        loadavgEnd: [4, 2, 1],
      },
    ],
  }

  it('states the cores and the load at the start and end, and one row per bench with its outcome', () => {
    const text = renderSummary(summary)
    expect(text).toContain('**1 of 2 ok**')
    expect(text).toContain(
      '2 cores; load average (1 / 5 / 15 min) 3.10 / 2.00 / 1.00 at the start, 5.25 / 4.00 / 2.00 at the end',
    )
    const rows = text.split('\n').filter((l) => l.startsWith('| `'))
    expect(rows[0]).toBe(
      '| `gateway` | ok | 9,858 req/s | 0.64 | ratio ≥ 0.7 (**not met**) | 12 s | 3.10 / 2.00 / 1.00 → 3.50 / 2.00 / 1.00 |',
    )
    // A failure shows its message (pipes escaped so the table holds).
    expect(rows[1]).toContain(
      '| `outbox` | **failed** | bench outbox FAILED: no result within its time limit of 45 s; it was waiting for x \\| y |',
    )
  })

  it('replaces only the text between the summary markers', () => {
    const doc = `a\n${SUMMARY_START}\nold\n${SUMMARY_END}\nb\n`
    expect(withSummaryTable(doc, undefined)).toBe(
      `a\n${SUMMARY_START}\n_No run of every bench recorded yet: run \`npm run bench\`._\n${SUMMARY_END}\nb\n`,
    )
    expect(withSummaryTable(doc, summary)).toContain('**1 of 2 ok**')
    expect(() => withSummaryTable('no markers', summary)).toThrow(/markers/)
  })
})
