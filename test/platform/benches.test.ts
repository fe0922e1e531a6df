import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunSummary } from '../bench/results.ts'
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../support/lanes.ts'

// Every bench in test/bench, run once in its tiny configuration (BENCH_SCALE=tiny: seconds, not
// minutes) by the bench runner itself, one after the other: a bench that no longer starts, throws,
// hangs or prints no result line fails here rather than on the day someone measures. The figures are
// not checked (tiny figures mean nothing; timing belongs in benches), only that each bench ran its whole
// path and reported numbers. The benches need real PostgreSQL and Redis.

const ROOT = path.resolve(import.meta.dirname, '../..')
const BENCH_DIR = path.join(ROOT, 'test/bench')
const benches = readdirSync(BENCH_DIR)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.slice(0, -'.bench.ts'.length))
  .sort()
const real = Boolean(TEST_DATABASE_URL && TEST_REDIS_URL)
if (!real) {
  process.stderr.write(
    'Skipping the tiny run of every bench: it needs real PostgreSQL and Redis (TEST_DATABASE_URL, TEST_REDIS_URL).\n',
  )
}

describe.skipIf(!real)('every bench, tiny (real lane)', () => {
  const resultsDir = mkdtempSync(path.join(os.tmpdir(), 'stratus-bench-tiny-'))
  let summary: RunSummary
  let output = ''

  beforeAll(async () => {
    // The servers the benches start run the compiled dist/ when it is fresh (as `npm start` does):
    // most of a tiny bench is its servers' start-up, which compiled code shortens.
    spawnSync(process.execPath, [path.join(ROOT, 'bin/build.mjs'), '--if-stale'], { stdio: 'inherit' })
    // As `npm run bench` runs: vitest's NODE_ENV=test is not the benches'.
    const { NODE_ENV: _, ...env } = process.env
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(BENCH_DIR, 'run.ts')], {
      cwd: ROOT,
      env: {
        ...env,
        BENCH_SCALE: 'tiny',
        BENCH_RESULTS_DIR: resultsDir,
        BENCH_DATABASE_URL: TEST_DATABASE_URL,
        BENCH_REDIS_URL: TEST_REDIS_URL,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stdout.on('data', (chunk) => {
      output += chunk
    })
    child.stderr.on('data', (chunk) => {
      output += chunk
    })
    await new Promise((resolve) => child.once('close', resolve))
    summary = JSON.parse(readFileSync(path.join(resultsDir, 'summary.json'), 'utf8')) as RunSummary
    // What each bench cost, for whoever trims this test's time: wall seconds depend on the machine's
    // load, CPU seconds (the bench and its servers) much less.
    process.stderr.write(
      `tiny benches: ${summary.seconds} s, load ${summary.machine.loadavgStart.join('/')} → ${summary.machine.loadavgEnd.join('/')}\n` +
        summary.benches
          .map((b) => `  ${b.name} ${b.status} ${b.seconds} s, ${b.cpuSeconds} s CPU\n`)
          .join(''),
    )
  }, 600_000)

  afterAll(() => rmSync(resultsDir, { recursive: true, force: true }))

  it('writes one summary of the run, with the cores and the load average at its start and end', () => {
    expect(summary.scale).toBe('tiny')
    expect(summary.benches.map((b) => b.name)).toEqual(benches)
    expect(summary.machine.cpus).toBe(os.cpus().length)
    for (const load of [summary.machine.loadavgStart, summary.machine.loadavgEnd]) {
      expect(load).toHaveLength(3)
      for (const l of load) expect(l).toBeGreaterThanOrEqual(0)
    }
    // The benches ran one after the other.
    const total = summary.benches.reduce((sum, b) => sum + b.seconds, 0)
    // Each figure is rounded to 0.1 s: the benches' sum may exceed the run's own by 0.05 s a figure.
    expect(summary.seconds).toBeGreaterThanOrEqual(total - 0.05 * (summary.benches.length + 1))
  })

  it.each(benches)('%s runs its whole path and reports a result line', (name) => {
    const outcome = summary.benches.find((b) => b.name === name)
    expect(outcome, `${name} is missing from the summary:\n${output.slice(-4000)}`).toBeDefined()
    expect(outcome!.status, `${name}: ${outcome!.error}\n${output.slice(-4000)}`).toBe('ok')
    expect(outcome!.exitCode).toBe(0)
    const result = outcome!.result!
    expect(result.name).toBe(name)
    expect(typeof result.metric).toBe('string')
    expect(Number.isFinite(result.value), `${name} value ${result.value}`).toBe(true)
    expect(Number.isFinite(result.baseline), `${name} baseline ${result.baseline}`).toBe(true)
    expect(Number.isFinite(result.ratio), `${name} ratio ${result.ratio}`).toBe(true)
  })
})
