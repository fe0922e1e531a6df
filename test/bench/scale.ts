/**
 * How big a benchmark run is. `full` (the default) measures; `tiny` (`BENCH_SCALE=tiny`) runs every
 * bench's whole path in seconds — a few requests, events or subscribers instead of thousands — so a
 * test can prove each bench still works. Tiny figures mean nothing and are never recorded.
 */
export type BenchScale = 'full' | 'tiny'

const SCALES: readonly BenchScale[] = ['full', 'tiny']

export function parseScale(raw: string | undefined): BenchScale {
  const value = (raw ?? '').trim() || 'full'
  if (!(SCALES as readonly string[]).includes(value)) {
    throw new Error(`BENCH_SCALE must be one of ${SCALES.join(', ')} (got ${JSON.stringify(raw)})`)
  }
  return value as BenchScale
}

export const BENCH_SCALE: BenchScale = parseScale(process.env.BENCH_SCALE)
export const TINY = BENCH_SCALE === 'tiny'

/** `full` in a measuring run, `tiny` in a tiny one. */
export function scaled<T>(full: T, tiny: T): T {
  return TINY ? tiny : full
}

/** A count from the environment variable `name` when set, else `scaled(full, tiny)`. */
export function scaledEnv(name: string, full: number, tiny: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return scaled(full, tiny)
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number (got ${raw})`)
  return value
}
