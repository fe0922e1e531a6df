import { dateTime, fromNow } from '../../ui/format.ts'

/**
 * `iso` as a wall-clock time in `timeZone`, with the zone's abbreviation: "Mon, Dec 7, 14:05:00 CET"
 * (with the year too when asked: a yearly schedule's runs differ in nothing else).
 */
export function formatInZone(iso: string, timeZone: string, locale?: string, withYear = false): string {
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  try {
    return new Intl.DateTimeFormat(locale, {
      timeZone,
      weekday: 'short',
      ...(withYear ? { year: 'numeric' } : {}),
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    }).format(date)
  } catch {
    // A zone this browser does not know: the viewer's own time says at least when.
    return dateTime(iso)
  }
}

/**
 * The next ticks of a schedule, in the schedule's time zone (where its cron is read), each with how far
 * off it is; the viewer's local time is in the tooltip.
 */
export function NextRuns({
  runs,
  timeZone,
  label = 'Next runs',
  now = Date.now(),
}: {
  runs: readonly string[]
  timeZone: string
  label?: string
  now?: number
}) {
  if (runs.length === 0) return <p className="muted">No run is due.</p>
  const thisYear = new Date(now).getUTCFullYear()
  const withYear = runs.some((iso) => new Date(iso).getUTCFullYear() !== thisYear)
  return (
    <ol className="next-runs" aria-label={`${label} (${timeZone})`}>
      {runs.map((iso) => (
        <li key={iso}>
          <time dateTime={iso} title={`Your time: ${dateTime(iso)}`}>
            {formatInZone(iso, timeZone, undefined, withYear)}
          </time>{' '}
          <span className="muted">{fromNow(iso, now)}</span>
        </li>
      ))}
    </ol>
  )
}
