import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { BenchResult } from './lib.ts'

/**
 * The committed record of each benchmark's latest result (`bench-results/latest.json`): `npm run bench`
 * writes it, `scripts/bench-table.ts` renders it into docs/benchmarks.md. One entry per bench name;
 * the newest run replaces the previous one, so the table always shows one comparable line per bench.
 */
export const RESULTS_DIR = path.resolve(import.meta.dirname, '../../bench-results')
export const RESULTS_FILE = path.join(RESULTS_DIR, 'latest.json')
/** The last run of every bench (`npm run bench` with no name): see `RunSummary`. */
export const SUMMARY_FILE = path.join(RESULTS_DIR, 'summary.json')

/** The machine as a run saw it: cores, and os.loadavg() (1, 5, 15 minutes) at its start and end. */
export interface MachineLoad {
  cpus: number
  loadavgStart: number[]
  loadavgEnd: number[]
}

/** How one bench of a run ended. */
export interface BenchOutcome {
  name: string
  /** `timed-out`: the runner killed it at its backstop (the bench's own watchdog did not answer). */
  status: 'ok' | 'failed' | 'timed-out'
  seconds: number
  /**
   * CPU seconds of the bench's process and the servers it started (not of PostgreSQL or Redis): what it
   * costs on any machine, where `seconds` depends on how loaded the machine was.
   */
  cpuSeconds?: number
  exitCode: number | null
  /** Its result line, when it printed one and exited 0. */
  result?: BenchResult
  /** Why it failed: its last stderr line (the watchdog's message names the bench and its wait). */
  error?: string
  loadavgStart: number[]
  loadavgEnd: number[]
}

/** One run of benches, as `bench-results/summary.json` and the summary table in docs/benchmarks.md. */
export interface RunSummary {
  scale: 'full' | 'tiny'
  startedAt: string
  finishedAt: string
  seconds: number
  machine: MachineLoad
  /** BENCH_SECONDS, when the run shortened (or lengthened) its phases. */
  benchSeconds?: number
  benches: BenchOutcome[]
}

/** os.loadavg(), rounded to hundredths. */
export function loadavg(): number[] {
  return os.loadavg().map((l) => Math.round(l * 100) / 100)
}

/** Writes `data` as JSON to `file`, aside and renamed, so an interrupted run never leaves half a file. */
export function writeJson(file: string, data: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true })
  writeFileSync(`${file}.tmp`, `${JSON.stringify(data, null, 2)}\n`)
  renameSync(`${file}.tmp`, file)
}

export function readSummary(file = SUMMARY_FILE): RunSummary | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as RunSummary
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/** A benchmark's final JSON line, and where and when it was measured. */
export interface RecordedResult {
  result: BenchResult
  /** ISO-8601 UTC time the run finished. */
  date: string
  machine: {
    cpus: number
    /** os.loadavg() when the run finished: 1, 5 and 15 minutes. */
    loadavg: number[]
  }
  /** BENCH_SECONDS, when the run shortened (or lengthened) its phases. */
  benchSeconds?: number
}

export type ResultsFile = Record<string, RecordedResult>

/** The bench's result line: the last non-empty stdout line, when it is a JSON object with a name. */
export function lastResultLine(stdout: string): BenchResult | undefined {
  const last = stdout.trimEnd().split('\n').at(-1)
  if (!last) return undefined
  try {
    const parsed = JSON.parse(last) as unknown
    if (parsed && typeof parsed === 'object' && typeof (parsed as BenchResult).name === 'string') {
      return parsed as BenchResult
    }
  } catch {
    // Not a result line: the bench failed before reporting.
  }
  return undefined
}

export function readResults(file = RESULTS_FILE): ResultsFile {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ResultsFile
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw error
  }
}

/** Records `result` under its name (replacing an older entry), keeping the file's keys sorted. */
export function recordResult(result: BenchResult, file = RESULTS_FILE, now = new Date()): RecordedResult {
  const seconds = process.env.BENCH_SECONDS
  const entry: RecordedResult = {
    result,
    date: now.toISOString(),
    machine: { cpus: os.cpus().length, loadavg: loadavg() },
    ...(seconds ? { benchSeconds: Number(seconds) } : {}),
  }
  const all = { ...readResults(file), [result.name]: entry }
  const sorted = Object.fromEntries(Object.entries(all).sort(([a], [b]) => a.localeCompare(b)))
  writeJson(file, sorted)
  return entry
}
