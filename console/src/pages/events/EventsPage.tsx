import { useQuery } from '@tanstack/react-query'
import { Link } from '@tanstack/react-router'
import { Fragment, useState } from 'react'
import { type BusEvent, listEvents, traceIdOf } from '../../api/events.ts'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { dateTime } from '../../ui/format.ts'
import { Loading } from '../../ui/Loading.tsx'
import { PageHeader } from '../../ui/PageHeader.tsx'
import './events.css'

/** How often the tail asks for new events while it runs. */
const TAIL_MS = 2000
const LIMIT = 100

function Executions({ event }: { event: BusEvent }) {
  if (event.executions.length === 0) return <span className="muted">none</span>
  return (
    <span className="execution-badges">
      {event.executions.map((execution) => (
        <span key={execution.id} className={`badge badge-${execution.status}`}>
          {execution.function} #{execution.attempt} {execution.status}
        </span>
      ))}
    </span>
  )
}

function EventDetail({ event }: { event: BusEvent }) {
  const traceId = traceIdOf(event.traceparent)
  return (
    <div className="event-detail">
      <dl className="facts">
        <dt>Event id</dt>
        <dd>
          <code>{event.id}</code>
        </dd>
        <dt>Source</dt>
        <dd>
          <code>{event.source}</code>
        </dd>
        {event.causationid && (
          <>
            <dt>Caused by</dt>
            <dd>
              <code>{event.causationid}</code>
            </dd>
          </>
        )}
        <dt>Trace</dt>
        <dd>
          {traceId ? (
            <Link to="/events/traces/$traceId" params={{ traceId }}>
              Open trace {traceId.slice(0, 8)}…
            </Link>
          ) : (
            <span className="muted">no trace context</span>
          )}
        </dd>
      </dl>
      <h3>Executions it caused</h3>
      {event.executions.length === 0 ? (
        <p className="muted">No function ran for this event (no trigger matched, or none has run yet).</p>
      ) : (
        <ul>
          {event.executions.map((execution) => (
            <li key={execution.id}>
              <Link to="/functions/$name" params={{ name: execution.function }}>
                {execution.function}
              </Link>{' '}
              v{execution.version}, attempt {execution.attempt}:{' '}
              <span className={`badge badge-${execution.status}`}>{execution.status}</span>{' '}
              <code>{execution.id}</code>
            </li>
          ))}
        </ul>
      )}
      <h3>Data</h3>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard. */}
      <section className="scroll-block" aria-label={`Data of event ${event.sequence}`} tabIndex={0}>
        <pre>{JSON.stringify(event.data ?? null, null, 2)}</pre>
      </section>
    </div>
  )
}

/** A live tail of the bus, newest first, filtered by type and subject globs; an event opens to what it caused. */
export function EventsPage() {
  const [type, setType] = useState('')
  const [subject, setSubject] = useState('')
  const [running, setRunning] = useState(true)
  const [open, setOpen] = useState<string | null>(null)
  const events = useQuery({
    queryKey: ['events', type, subject],
    queryFn: ({ signal }) =>
      listEvents(
        { order: 'desc', limit: LIMIT, ...(type ? { type } : {}), ...(subject ? { subject } : {}) },
        signal,
      ),
    refetchInterval: running ? TAIL_MS : false,
    placeholderData: (previous) => previous,
  })

  return (
    <>
      <PageHeader
        title="Events"
        description="Every state change on the bus, newest first, with the function executions it caused."
        actions={
          <button type="button" onClick={() => setRunning(!running)} aria-pressed={!running}>
            {running ? 'Pause tail' : 'Resume tail'}
          </button>
        }
      />
      <form className="panel filters" onSubmit={(e) => e.preventDefault()} aria-label="Event filters">
        <label className="field">
          <span>Type</span>
          <input
            value={type}
            onChange={(e) => setType(e.target.value.trim())}
            placeholder="db.document.* or auth.user.created"
          />
        </label>
        <label className="field">
          <span>Subject</span>
          <input
            value={subject}
            onChange={(e) => setSubject(e.target.value.trim())}
            placeholder="collections/orders/documents/*"
          />
        </label>
        <p className="muted tail-state" role="status">
          {running ? `Live: refreshes every ${TAIL_MS / 1000} s` : 'Paused'}
          {events.data ? `; showing the newest ${events.data.events.length}` : ''}
        </p>
      </form>
      <ErrorNotice error={events.error} title="Events" />
      {events.isPending ? (
        <Loading label="Loading events…" />
      ) : (
        <table className="table events-table">
          <thead>
            <tr>
              <th scope="col">Sequence</th>
              <th scope="col">Time</th>
              <th scope="col">Type</th>
              <th scope="col">Subject</th>
              <th scope="col">Executions</th>
            </tr>
          </thead>
          <tbody>
            {(events.data?.events ?? []).map((event) => (
              <Fragment key={event.id}>
                <tr className={open === event.id ? 'selected' : undefined}>
                  <td>
                    <button
                      type="button"
                      className="link-button"
                      aria-expanded={open === event.id}
                      onClick={() => setOpen(open === event.id ? null : event.id)}
                    >
                      #{event.sequence}
                    </button>
                  </td>
                  <td>{dateTime(event.time)}</td>
                  <td>
                    <code>{event.type}</code>
                  </td>
                  <td className="subject">
                    <code>{event.subject}</code>
                  </td>
                  <td>
                    <Executions event={event} />
                  </td>
                </tr>
                {open === event.id && (
                  <tr>
                    <td colSpan={5}>
                      <EventDetail event={event} />
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
            {events.data?.events.length === 0 && (
              <tr>
                <td colSpan={5} className="muted">
                  No retained events match. Events appear here as documents, users, objects and queue messages
                  change.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      )}
    </>
  )
}
