import { CronExpressionParser } from 'cron-parser'

/**
 * Cron schedules, one reading for the whole platform: the deploy check, the schedules preview and the
 * in-process job queue's timers all use this module, and it reads expressions as BullMQ's job
 * schedulers (the Redis driver) do: cron-parser, where a day-of-month and a day-of-week both restricted
 * fire on either (as Vixie cron does), a local time skipped by a daylight-saving change fires at the
 * same minute of the next hour, and a repeated one fires twice. `cron.test.ts` holds the two together.
 *
 * Expressions have 5 fields, or 6 with seconds first; the time zone is an IANA name, UTC by default.
 */

/** The time zone of a schedule that names none. */
export const DEFAULT_CRON_TIMEZONE = 'UTC'

// cron-parser 5 reads "hashed" fields (`H`, `H(0-29)`, `H/5`), which BullMQ's parser does not.
const HASHED = /(^|,)H(\(|\/|,|$)/i

/** Why `expression` is not a schedule this platform runs, or undefined when it is one. */
export function cronProblem(expression: string, timezone?: string): string | undefined {
  const fields = expression.trim().split(/\s+/)
  if (fields.length !== 5 && fields.length !== 6) return '5 fields, or 6 with seconds first'
  if (fields.some((field) => HASHED.test(field))) return 'hashed fields (H) are not supported'
  try {
    CronExpressionParser.parse(expression.trim(), { tz: timezone ?? DEFAULT_CRON_TIMEZONE })
    return undefined
  } catch (error) {
    return (error as Error).message
  }
}

/** The next `count` times `expression` fires in `timezone` strictly after `after` (default: now). */
export function nextCronTimes(
  expression: string,
  options: { timezone?: string; after?: Date | number; count: number },
): Date[] {
  const interval = CronExpressionParser.parse(expression.trim(), {
    tz: options.timezone ?? DEFAULT_CRON_TIMEZONE,
    currentDate: new Date(options.after ?? Date.now()),
  })
  const out: Date[] = []
  for (let i = 0; i < options.count; i++) {
    if (!interval.hasNext()) break
    out.push(interval.next().toDate())
  }
  return out
}
