import { useQuery } from '@tanstack/react-query'
import { Link, useParams } from '@tanstack/react-router'
import { useState } from 'react'
import { getTrace, type Span } from '../../api/events.ts'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { dateTime, duration } from '../../ui/format.ts'
import { Loading } from '../../ui/Loading.tsx'
import { PageHeader } from '../../ui/PageHeader.tsx'
import { layoutWaterfall } from './waterfall.ts'
import './events.css'

function Attributes({ span }: { span: Span }) {
  const { logs, ...rest } = span.attributes as { logs?: { level: string; msg: string; time: string }[] }
  return (
    <div className="span-detail">
      <dl className="facts">
        <dt>Span</dt>
        <dd>
          <code>{span.id}</code>
        </dd>
        <dt>Started</dt>
        <dd>{dateTime(span.start)}</dd>
        {Object.entries(rest).map(([key, value]) => (
          <AttributeRow key={key} name={key} value={value} />
        ))}
      </dl>
      {Array.isArray(logs) && logs.length > 0 && (
        <>
          <h3>Logs</h3>
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard. */}
          <section className="scroll-block" aria-label={`Logs of ${span.name}`} tabIndex={0}>
            <pre className="logs">
              {logs.map((line) => `${line.time} ${line.level.toUpperCase()} ${line.msg}`).join('\n')}
            </pre>
          </section>
        </>
      )}
    </div>
  )
}

function AttributeRow({ name, value }: { name: string; value: unknown }) {
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return (
    <>
      <dt>{name}</dt>
      <dd>
        {name === 'function' && typeof value === 'string' ? (
          <Link to="/functions/$name" params={{ name: value }}>
            {value}
          </Link>
        ) : (
          <code>{text}</code>
        )}
      </dd>
    </>
  )
}

/** One trace as a waterfall: the request, the writes, events and executions it caused, on one time axis. */
export function TracePage() {
  const { traceId } = useParams({ from: '/events/traces/$traceId' })
  const [open, setOpen] = useState<string | null>(null)
  const trace = useQuery({
    queryKey: ['trace', traceId],
    queryFn: ({ signal }) => getTrace(traceId, signal),
    // Executions may still be retrying: keep the picture current while the page is open.
    refetchInterval: 5000,
  })
  const layout = trace.data ? layoutWaterfall(trace.data.spans) : null

  return (
    <>
      <PageHeader
        title="Trace"
        description={
          <>
            <code>{traceId}</code>: everything one request caused, across nodes.{' '}
            <Link to="/events">Back to events</Link>
          </>
        }
      />
      <ErrorNotice error={trace.error} title="Trace" />
      {trace.isPending && <Loading label="Loading the trace…" />}
      {layout && (
        <section className="panel" aria-label="Waterfall">
          <p className="muted">
            {layout.rows.length} spans over {duration(layout.totalMs)}.
          </p>
          <ol className="waterfall">
            {layout.rows.map((row) => (
              <li key={row.span.id} className={`span span-${row.span.kind}`}>
                <button
                  type="button"
                  className="span-label"
                  style={{ paddingLeft: `${row.depth * 1.1 + 0.4}rem` }}
                  aria-expanded={open === row.span.id}
                  onClick={() => setOpen(open === row.span.id ? null : row.span.id)}
                >
                  <span className="badge">{row.span.kind}</span> {row.span.name}{' '}
                  <span className={`badge badge-${row.span.status}`}>{row.span.status}</span>{' '}
                  <span className="muted">{row.durationMs === null ? 'open' : duration(row.durationMs)}</span>
                </button>
                <div className="span-track" aria-hidden="true">
                  <div
                    className="span-bar"
                    style={{ left: `${row.offsetPct}%`, width: `${row.widthPct}%` }}
                  />
                </div>
                {open === row.span.id && <Attributes span={row.span} />}
              </li>
            ))}
          </ol>
        </section>
      )}
    </>
  )
}
