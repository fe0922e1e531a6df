import { type Logger, pino } from 'pino'
import type { Config } from './config.ts'

export type { Logger }

/** The process logger: JSON lines on stdout. Secrets in headers are redacted. */
export function createLogger(level: Config['log']['level'], bindings: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { pid: process.pid, ...bindings },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.password'],
      censor: '[redacted]',
    },
  })
}
