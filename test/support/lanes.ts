/**
 * The two test lanes: every integration suite runs on the embedded drivers, and on real Postgres and
 * Redis when `TEST_DATABASE_URL` / `TEST_REDIS_URL` are set (`.ci/run` sets both and fails if they are
 * unreachable, so the real lane is never skipped silently in CI).
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL || undefined

/** A lane of the whole platform: embedded drivers, or real Postgres + Redis. */
export type Lane = 'embedded' | 'real'

/** `embedded` always; `real` when both TEST_DATABASE_URL and TEST_REDIS_URL are set. */
export const LANES: Lane[] = TEST_DATABASE_URL && TEST_REDIS_URL ? ['embedded', 'real'] : ['embedded']

/** A unique, safe suffix for per-suite databases, key prefixes and directories. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
}

/**
 * Polls `check` until it returns a truthy value, or fails after `timeoutMs`. For waiting on an
 * observable outcome (an event delivered, a row written), never as a fixed sleep. `what` names it in
 * the failure; as a function, it is asked at the time-out (to say what the state was by then).
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  what: string | (() => string | Promise<string>) = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const value = await check()
      if (value) return value
    } catch (error) {
      last = error
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const said = typeof what === 'string' ? what : await what()
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${said}${last ? `: ${String(last)}` : ''}`)
}
