import type { ChildProcess } from 'node:child_process'
import path from 'node:path'
import { scaled } from './scale.ts'

/**
 * Every bench finishes or fails within its own time limit. A bench declares the limit (`timeLimit`)
 * and says what it is waiting for at each long wait (`waitingFor`); when the limit passes, this prints
 * which bench gave up and on what, kills the servers it started, runs its clean-ups (dropping its
 * database, deleting its Redis keys) and exits 1. The timer is unref'd: it never keeps a finished
 * bench alive, and a bench still alive after its result line fails here too (a connection, timer or
 * child left open), as the `outbox` bench once hung.
 */

const benchName = path.basename(process.argv[1] ?? 'bench').replace(/\.bench\.ts$/, '')
let current: string | (() => string) = 'start-up'
let aborting = false
let reported = false
const children = new Set<ChildProcess>()
const cleanups = new Set<() => Promise<unknown> | unknown>()

/**
 * Records what the bench is waiting for now: the time-out message names it. A function is asked at
 * time-out, so the message can say how far the wait got ("312 of 5000 events delivered").
 */
export function waitingFor(what: string | (() => string)): void {
  current = what
}

/** Marks the result line as printed: what is left is clean-up and exiting. */
export function resultPrinted(): void {
  reported = true
  waitingFor(
    'its clean-up to finish and the process to exit (an open connection, timer or child keeps it alive)',
  )
}

const describeWait = () => (typeof current === 'function' ? current() : current)

/** A child process to kill if the bench is aborted or exits without stopping it. */
export function trackChild(child: ChildProcess): void {
  children.add(child)
  child.once('exit', () => children.delete(child))
}

/** Runs `cleanup` if the bench is aborted; the returned function forgets it (once done normally). */
export function onAbort(cleanup: () => Promise<unknown> | unknown): () => void {
  cleanups.add(cleanup)
  return () => cleanups.delete(cleanup)
}

function killChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
}

async function abort(message: string): Promise<never> {
  if (!aborting) {
    aborting = true
    process.stderr.write(`bench ${benchName} FAILED: ${message}\n`)
    killChildren()
    const all = Promise.allSettled([...cleanups].map(async (cleanup) => cleanup()))
    await Promise.race([all, new Promise((r) => setTimeout(r, 5000).unref())])
  }
  process.exit(1)
}

/** Arms the bench's time limit (seconds, by scale; BENCH_TIME_LIMIT_SECONDS overrides both). */
export function timeLimit(seconds: { full: number; tiny: number }): void {
  const limit = Number(process.env.BENCH_TIME_LIMIT_SECONDS || scaled(seconds.full, seconds.tiny))
  setTimeout(() => {
    const what = reported
      ? `printed its result line but did not end within its time limit of ${limit} s`
      : `no result within its time limit of ${limit} s`
    void abort(`${what}; it was waiting for ${describeWait()}`)
  }, limit * 1000).unref()
}

/** Aborts the bench now, naming what went wrong. */
export function fail(message: string): Promise<never> {
  return abort(message)
}

// A top-level await that nothing can settle any more ends the process with code 13 and a bare
// warning; say which bench and what it waited for. Servers left running die with the bench.
process.on('exit', (code) => {
  // Node 20 passes 0 here and has set process.exitCode to 13.
  if ((code === 13 || process.exitCode === 13) && !aborting) {
    process.stderr.write(
      `bench ${benchName} FAILED: it stopped with nothing left that could settle its wait for ${describeWait()}\n`,
    )
  }
  killChildren()
})
