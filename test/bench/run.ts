import { spawn } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { withBenchTable, withSummaryTable } from '../../scripts/bench-docs.ts'
import { processCpuMs } from './lib.ts'
import {
  type BenchOutcome,
  lastResultLine,
  loadavg,
  RESULTS_DIR,
  type RunSummary,
  readResults,
  recordResult,
  writeJson,
} from './results.ts'
import { type BenchScale, parseScale } from './scale.ts'

// `npm run bench -- NAME [NAME…]` runs those benchmarks; with no name, all of them in turn, never two
// at once. Each runs in its own process (and process group), so one benchmark's servers and heap never
// skew the next.
//
// A full-scale run records each successful bench's result line in bench-results/latest.json and
// regenerates the table of latest results in docs/benchmarks.md; a run of every bench also writes
// bench-results/summary.json (every bench's outcome, the cores and the load average at the start and
// end) and the summary table there. `BENCH_SCALE=tiny` runs each bench in seconds to prove it works:
// its figures mean nothing, so it records nothing unless BENCH_RESULTS_DIR names where its summary goes.
//
// Each bench fails itself at its own time limit (test/bench/watchdog.ts). Should a bench's event loop
// be stuck so that its watchdog cannot fire, the runner kills its process group after
// BENCH_MAX_SECONDS (1800; 300 when tiny) and names the bench and its last progress line.

const dir = import.meta.dirname
const ROOT = path.resolve(dir, '../..')
const DOC = path.join(ROOT, 'docs/benchmarks.md')

let scale: BenchScale
try {
  scale = parseScale(process.env.BENCH_SCALE)
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`)
  process.exit(2)
}
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.slice(0, -'.bench.ts'.length))
  .sort()
const asked = process.argv.slice(2).filter((a) => a !== '--')
const unknown = asked.filter((name) => !available.includes(name))
if (unknown.length) {
  process.stderr.write(`Unknown benchmark ${unknown.join(', ')}. Available: ${available.join(', ')}\n`)
  process.exit(2)
}
const backstopSeconds = Number(process.env.BENCH_MAX_SECONDS || (scale === 'tiny' ? 300 : 1800))
const resultsDir = process.env.BENCH_RESULTS_DIR
  ? path.resolve(process.env.BENCH_RESULTS_DIR)
  : scale === 'full'
    ? RESULTS_DIR
    : undefined

/** The bench processes running now (one at most), by process group, to end with the runner. */
const running = new Set<number>()
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const pid of running) killGroup(pid, 'SIGTERM')
    process.exit(130)
  })
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    // Already gone.
  }
}

/** Runs one bench, passing its output through as it comes. */
function runBench(name: string): Promise<BenchOutcome> {
  const loadavgStart = loadavg()
  const started = performance.now()
  // The runner's waited-for children: the bench, and the servers it waited for in turn.
  const childrenCpu = () =>
    (processCpuMs(process.pid, { children: true }) ?? 0) - (processCpuMs(process.pid) ?? 0)
  const cpuBefore = childrenCpu()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(dir, `${name}.bench.ts`)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BENCH_SCALE: scale },
      // Its own process group: the backstop kills the bench and the servers it started together.
      detached: true,
    })
    running.add(child.pid!)
    let stdout = ''
    let lastLine = ''
    let partial = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk
      process.stdout.write(chunk)
    })
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (chunk: string) => {
      process.stderr.write(chunk)
      const lines = (partial + chunk).split('\n')
      partial = lines.pop() ?? ''
      const last = lines.filter((l) => l.trim()).at(-1)
      if (last) lastLine = last.trim()
    })
    let timedOut = false
    const backstop = setTimeout(() => {
      timedOut = true
      killGroup(child.pid!, 'SIGKILL')
    }, backstopSeconds * 1000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(backstop)
      running.delete(child.pid!)
      // Whatever the bench left behind in its group (a server it did not stop) ends with it.
      killGroup(child.pid!, 'SIGKILL')
      if (partial.trim()) lastLine = partial.trim()
      const result = code === 0 ? lastResultLine(stdout) : undefined
      const outcome: BenchOutcome = {
        name,
        status: timedOut ? 'timed-out' : result ? 'ok' : 'failed',
        seconds: Math.round((performance.now() - started) / 100) / 10,
        cpuSeconds: Math.round((childrenCpu() - cpuBefore) / 100) / 10,
        exitCode: code,
        loadavgStart,
        loadavgEnd: loadavg(),
      }
      if (result) outcome.result = result
      else if (timedOut) {
        outcome.error = `bench ${name} was killed after ${backstopSeconds} s (BENCH_MAX_SECONDS); its last progress: ${lastLine || 'none'}`
      } else {
        outcome.error =
          code === 0 ? `bench ${name} printed no result line` : lastLine || `exited with ${code}`
      }
      resolve(outcome)
    })
  })
}

const names = asked.length ? asked : available
const startedAt = new Date()
const machineStart = loadavg()
const outcomes: BenchOutcome[] = []
for (const name of names) {
  process.stderr.write(
    `bench ${name} (${scale}; load ${loadavg().join(' / ')} on ${os.cpus().length} cores)\n`,
  )
  const outcome = await runBench(name)
  outcomes.push(outcome)
  if (outcome.status !== 'ok') process.stderr.write(`  ${outcome.status}: ${outcome.error}\n`)
  else if (scale === 'full' && resultsDir) {
    recordResult(outcome.result!, path.join(resultsDir, 'latest.json'))
    process.stderr.write(
      `  recorded in ${path.relative(process.cwd(), path.join(resultsDir, 'latest.json'))}\n`,
    )
  }
}

const summary: RunSummary = {
  scale,
  startedAt: startedAt.toISOString(),
  finishedAt: new Date().toISOString(),
  seconds: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
  machine: { cpus: os.cpus().length, loadavgStart: machineStart, loadavgEnd: loadavg() },
  ...(process.env.BENCH_SECONDS ? { benchSeconds: Number(process.env.BENCH_SECONDS) } : {}),
  benches: outcomes,
}
const everyBench = !asked.length
if (resultsDir && (everyBench || process.env.BENCH_RESULTS_DIR)) {
  writeJson(path.join(resultsDir, 'summary.json'), summary)
  process.stderr.write(`summary in ${path.relative(process.cwd(), path.join(resultsDir, 'summary.json'))}\n`)
}
// The docs show measuring runs of the committed results only.
if (scale === 'full' && resultsDir === RESULTS_DIR) {
  let doc = withBenchTable(readFileSync(DOC, 'utf8'), readResults())
  if (everyBench) doc = withSummaryTable(doc, summary)
  writeFileSync(DOC, doc)
  process.stderr.write('tables in docs/benchmarks.md regenerated\n')
}
const failed = outcomes.filter((o) => o.status !== 'ok')
process.stderr.write(
  `${outcomes.length - failed.length} of ${outcomes.length} benches ok in ${summary.seconds} s` +
    (failed.length ? `; failed: ${failed.map((o) => o.name).join(', ')}` : '') +
    '\n',
)
process.exit(failed.length ? 1 : 0)
