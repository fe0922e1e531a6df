import { defaultRepeatStrategy } from 'bullmq'
import { describe, expect, it } from 'vitest'
import { cronProblem, nextCronTimes } from './cron.ts'

/** The next `count` ticks as BullMQ's job schedulers (the Redis job queue) compute them. */
function bullmqTimes(pattern: string, tz: string, after: number, count: number): string[] {
  const out: string[] = []
  let millis = after
  for (let i = 0; i < count; i++) {
    const next = defaultRepeatStrategy(millis, { pattern, tz } as Parameters<typeof defaultRepeatStrategy>[1])
    if (next === undefined) break
    out.push(new Date(next).toISOString())
    millis = next
  }
  return out
}

const EXPRESSIONS = [
  '*/5 * * * *',
  '0 3 * * *',
  '*/10 * * * * *',
  '15 10 * * 1-5',
  '0 0 * * sun',
  '0 0 * * 7',
  '0 9 1,15 * *',
  '0 0 L * *',
  '0 12 * * 5#2',
  '5 4 * jan,jul *',
  // Day of month and day of week both restricted: either fires (Vixie cron, BullMQ).
  '0 0 1 * 1',
  '0 0 13 * 5',
]
// Around daylight-saving changes: a skipped local time, a repeated hour, a half-hour zone shift.
const DST_EXPRESSIONS = ['30 2 * * *', '0 * * * *', '0 30 1-3 * * *', '0 3 * * *']
const DST_ZONES = ['Europe/Paris', 'America/New_York', 'Australia/Lord_Howe']
const DST_STARTS = [
  '2026-03-07T20:00:00.000Z',
  '2026-03-28T12:34:56.789Z',
  '2026-10-24T22:00:00.000Z',
  '2026-10-31T23:59:59.999Z',
]
const CASES = [
  ...EXPRESSIONS.flatMap((e) => [
    [e, 'UTC', '2026-01-15T10:20:30.400Z'] as const,
    [e, 'Asia/Kolkata', '2026-06-30T23:59:59.000Z'] as const,
  ]),
  ...DST_EXPRESSIONS.flatMap((e) => DST_ZONES.flatMap((z) => DST_STARTS.map((s) => [e, z, s] as const))),
]

describe('cron schedules', () => {
  it.each(CASES)(
    '%s in %s after %s: the preview is what the Redis job queue fires',
    (expression, zone, start) => {
      const after = Date.parse(start)
      const preview = nextCronTimes(expression, { timezone: zone, after, count: 5 }).map((d) =>
        d.toISOString(),
      )
      expect(preview).toHaveLength(5)
      expect(preview).toEqual(bullmqTimes(expression, zone, after, 5))
    },
  )

  it('finds rare ticks too (29 February)', () => {
    const after = Date.parse('2026-03-01T00:00:00.000Z')
    const preview = nextCronTimes('0 0 29 2 *', { timezone: 'Europe/Paris', after, count: 2 })
    expect(preview.map((d) => d.toISOString())).toEqual(bullmqTimes('0 0 29 2 *', 'Europe/Paris', after, 2))
    expect(preview[0]!.toISOString()).toBe('2028-02-28T23:00:00.000Z')
  })

  it('defaults to UTC and starts strictly after the given time', () => {
    const after = Date.parse('2026-05-01T03:00:00.000Z')
    expect(nextCronTimes('0 3 * * *', { after, count: 2 }).map((d) => d.toISOString())).toEqual([
      '2026-05-02T03:00:00.000Z',
      '2026-05-03T03:00:00.000Z',
    ])
  })

  it.each([
    ['*/5 * * * *', undefined],
    ['0 0 * * * *', undefined],
    ['0 0 L * *', undefined],
    ['0 0 * * thu', undefined],
    ['* * * *', '5 fields, or 6 with seconds first'],
    ['* * * * * * *', '5 fields, or 6 with seconds first'],
    ['@daily', '5 fields, or 6 with seconds first'],
    ['H * * * *', 'hashed fields (H) are not supported'],
    ['0 H/5 * * *', 'hashed fields (H) are not supported'],
  ])('cronProblem(%j) → %j', (expression, problem) => {
    expect(cronProblem(expression)).toBe(problem)
  })

  it.each(['61 * * * *', '* 25 * * *', '0 0 1W * *', '0 0 * * 9', 'x * * * *'])(
    'refuses %j, which BullMQ cannot run either',
    (expression) => {
      expect(cronProblem(expression)).toEqual(expect.any(String))
      expect(() => bullmqTimes(expression, 'UTC', Date.now(), 1)).toThrow()
    },
  )
})
