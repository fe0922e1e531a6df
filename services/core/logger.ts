import { createRequire } from 'node:module'
import { type Logger, pino } from 'pino'
import type PinoPretty from 'pino-pretty'
import type { Config } from './config.ts'
import { currentTrace } from './trace.ts'

export type { Logger }

/**
 * Marks a logger whose bindings already carry the trace id (each request's, see the gateway's
 * tracing plugin), so the mixin adds none twice. Child loggers inherit it (pino children are
 * prototype-linked).
 */
export const TRACE_BOUND = Symbol('stratus.traceBound')

/** How log lines are written: JSON lines, or readable lines for a person at a terminal. */
export type LogFormat = 'json' | 'pretty'

/** Options of `createLogger`. */
export interface LoggerOptions {
  /** Fixed fields of every line (e.g. the process role). */
  bindings?: Record<string, unknown>
  /** `auto` (the default): pretty on a terminal, JSON otherwise. */
  format?: LogFormat | 'auto'
}

/**
 * The process logger: JSON lines on stdout (or pino-pretty's readable lines), secrets in headers
 * redacted. A line logged while a trace's scope is active (a request's handler) carries its `traceId`.
 */
export function createLogger(level: Config['log']['level'], options: LoggerOptions = {}): Logger {
  const format =
    options.format === undefined || options.format === 'auto'
      ? process.stdout.isTTY
        ? 'pretty'
        : 'json'
      : options.format
  const settings = {
    level,
    base: { pid: process.pid, ...options.bindings },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.password'],
      censor: '[redacted]',
    },
    // pino merges the caller's fields into the object returned: a new one every time.
    mixin(_fields: object, _level: number, logger: unknown): object {
      if ((logger as { [TRACE_BOUND]?: boolean })[TRACE_BOUND]) return {}
      const trace = currentTrace()
      return trace ? { traceId: trace.traceId } : {}
    },
  }
  if (format === 'json') return pino(settings)
  // Loaded only for a person at a terminal (servers write JSON). Synchronous, so nothing is lost when
  // the process exits; a terminal is not a hot path.
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty
  return pino(
    settings,
    pretty({ sync: true, colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss.l' }),
  )
}
