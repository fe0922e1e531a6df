import { useMutation, useQueryClient } from '@tanstack/react-query'
import { Link } from '@tanstack/react-router'
import { useState } from 'react'
import { runSchedule, type ScheduleView } from '../../api/functions.ts'
import { canWrite } from '../../api/session.ts'
import { useAdmin } from '../../app/session.tsx'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { dateTime, fromNow } from '../../ui/format.ts'
import { Loading } from '../../ui/Loading.tsx'
import { PageHeader } from '../../ui/PageHeader.tsx'
import { keys, useSchedules } from '../functions/queries.ts'
import { NextRuns } from './NextRuns.tsx'
import '../functions/functions.css'

/** Ticks come at most once a second; the list refreshes often enough to show the next one arrive. */
const REFRESH_MS = 15_000

function scheduleKey(s: ScheduleView): string {
  return `${s.function}#${s.index ?? 0}#${s.cron}`
}

function ScheduleRow({ schedule, writable }: { schedule: ScheduleView; writable: boolean }) {
  const client = useQueryClient()
  const [ran, setRan] = useState<string | null>(null)
  const run = useMutation({
    mutationFn: () => runSchedule(schedule.function, schedule.index),
    onSuccess: async ({ executionId }) => {
      setRan(executionId)
      await client.invalidateQueries({ queryKey: keys.all })
    },
  })
  const rowId = `schedule-${scheduleKey(schedule).replace(/[^A-Za-z0-9_-]/g, '-')}`
  const last = schedule.lastRun
  return (
    <tr>
      <th scope="row" id={`${rowId}-name`}>
        <Link to="/functions/$name" params={{ name: schedule.function }}>
          {schedule.function}
        </Link>{' '}
        <span className="muted">v{schedule.version}</span>
      </th>
      <td>
        <code>{schedule.cron}</code>
        <div className="muted small">{schedule.timezone}</div>
      </td>
      <td>
        <NextRuns
          runs={schedule.nextRuns}
          timeZone={schedule.timezone}
          label={`Next runs of ${schedule.function}`}
        />
      </td>
      <td>
        {last ? (
          <>
            <span className={`badge badge-${last.status}`}>{last.status}</span>{' '}
            <Link
              to="/functions/$name"
              params={{ name: schedule.function }}
              search={{ tab: 'executions', execution: last.executionId }}
              title={dateTime(last.at)}
            >
              {fromNow(last.at)}
            </Link>
          </>
        ) : (
          <span className="muted">never</span>
        )}
      </td>
      <td className="row-actions">
        {writable ? (
          <button
            type="button"
            onClick={() => run.mutate()}
            disabled={run.isPending}
            aria-describedby={`${rowId}-name`}
          >
            Run now
          </button>
        ) : (
          <span className="muted small">Running by hand needs a developer or owner.</span>
        )}
        {ran && (
          <p className="notice notice-ok small" role="status">
            Started{' '}
            <Link
              to="/functions/$name"
              params={{ name: schedule.function }}
              search={{ tab: 'executions', execution: ran }}
            >
              execution {ran.slice(0, 8)}…
            </Link>
          </p>
        )}
        <ErrorNotice error={run.error} title="Run now" />
      </td>
    </tr>
  )
}

/** Every schedule trigger of the live functions: next five runs in its time zone, last run, run now. */
export function SchedulesPage() {
  const admin = useAdmin()
  const schedules = useSchedules(REFRESH_MS)
  const list = schedules.data ?? []
  return (
    <>
      <PageHeader
        title="Schedules"
        description="Schedule triggers of the live functions. Each tick runs once across the cluster."
      />
      <ErrorNotice error={schedules.error} title="Schedules" />
      {schedules.isPending && <Loading label="Loading schedules…" />}
      {schedules.data && list.length === 0 && (
        <section className="panel empty">
          <h2>No schedules</h2>
          <p className="muted">
            Add a schedule trigger (a cron expression and a time zone) to a function to run it on a timetable.
          </p>
        </section>
      )}
      {list.length > 0 && (
        <section className="panel" aria-labelledby="schedules-title">
          <h2 id="schedules-title">
            {list.length} schedule{list.length === 1 ? '' : 's'}
          </h2>
          <table className="table schedules-table">
            <thead>
              <tr>
                <th scope="col">Function</th>
                <th scope="col">Schedule</th>
                <th scope="col">Next runs (its time zone)</th>
                <th scope="col">Last run</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((schedule) => (
                <ScheduleRow key={scheduleKey(schedule)} schedule={schedule} writable={canWrite(admin)} />
              ))}
            </tbody>
          </table>
        </section>
      )}
    </>
  )
}
