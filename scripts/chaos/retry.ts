/**
 * How the workload survives faults: the SDK does not retry, so every call goes through `retrying`,
 * which retries what a fault can cause (no answer, a 5xx) with backoff and records each failure, and
 * gives up at once on anything else (a 4xx is a bug in the workload or the platform, not a fault).
 */
import { StratusError } from '@stratus/sdk'
import type { ErrorRecord } from './invariants.ts'

export interface RetryOptions {
  /** Where failures are recorded (the checker wants them all inside fault windows). */
  errors: ErrorRecord[]
  /** Give up after this long (ms). */
  deadlineMs?: number
  /** Stop retrying when this fires (the run is over). */
  signal?: AbortSignal
}

/** Whether a failure is one a fault explains: no response, or a 5xx. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof StratusError) return error.status === 0 || error.status >= 500
  // fetch's own failure (refused, reset), before the SDK wraps it.
  return error instanceof TypeError
}

export function statusOf(error: unknown): number {
  return error instanceof StratusError ? error.status : 0
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Runs `call` until it succeeds; retryable failures are recorded and retried with capped backoff. */
export async function retrying<T>(what: string, call: () => Promise<T>, options: RetryOptions): Promise<T> {
  const deadline = Date.now() + (options.deadlineMs ?? 180_000)
  let delay = 100
  for (;;) {
    try {
      return await call()
    } catch (error) {
      options.errors.push({ at: Date.now(), status: statusOf(error), what: `${what}: ${describe(error)}` })
      if (!isRetryable(error) || Date.now() > deadline || options.signal?.aborted) throw error
      await sleep(delay + Math.random() * delay)
      delay = Math.min(delay * 2, 2000)
    }
  }
}

export function describe(error: unknown): string {
  if (error instanceof StratusError) return `${error.code} (${error.status}) ${error.message}`
  return error instanceof Error ? error.message : String(error)
}
