import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { Link } from '@tanstack/react-router'
import { type Execution, getExecution, rerunExecution } from '../../api/functions.ts'
import { ApiError } from '../../api/http.ts'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { duration } from '../../ui/format.ts'
import { LogLines } from './LogLines.tsx'
import { keys } from './queries.ts'
import { ScrollBlock } from './ScrollBlock.tsx'

/** An HTTP execution keeps no request: a re-run sends this one. */
const HTTP_RERUN = { method: 'POST', path: '/' }

/** A queued re-run, followed until its execution is recorded (then the list shows it too). */
function QueuedRerun({ name, executionId }: { name: string; executionId: string }) {
  const client = useQueryClient()
  const ran = useQuery({
    queryKey: keys.execution(executionId),
    queryFn: async ({ signal }) => {
      const found = await getExecution(executionId, signal)
      await client.invalidateQueries({ queryKey: ['functions', 'executions', name] })
      return found
    },
    retry: (count, error) => count < 30 && error instanceof ApiError && error.code === 'functions/not-found',
    retryDelay: 500,
  })
  return (
    <p className="notice notice-ok" role="status">
      Queued as execution <ExecutionLink name={name} id={executionId} />
      {ran.data ? (
        <>
          : <span className={`badge badge-${ran.data.status}`}>{ran.data.status}</span> in{' '}
          {duration(ran.data.durationMs)}
        </>
      ) : (
        '; waiting for it to run…'
      )}
    </p>
  )
}

function ExecutionLink({ name, id }: { name: string; id: string }) {
  return (
    <Link to="/functions/$name" params={{ name }} search={{ tab: 'executions', execution: id }}>
      {id}
    </Link>
  )
}

function RerunOutcome({
  result,
  name,
}: {
  result: Awaited<ReturnType<typeof rerunExecution>>
  name: string
}) {
  if (result.queued) return <QueuedRerun name={name} executionId={result.executionId} />
  return (
    <div className={`notice ${result.status === 'succeeded' ? 'notice-ok' : 'notice-error'}`} role="status">
      Ran as execution <ExecutionLink name={name} id={result.executionId} />: {result.status} in{' '}
      {duration(result.durationMs)}
      {result.response && <> · HTTP {result.response.status}</>}
      {result.error && (
        <>
          {' '}
          · {result.error.name}: {result.error.message}
        </>
      )}
    </div>
  )
}

/** One execution opened: its logs and error, why it ran, the event it ran for, its trace, and re-run. */
export function ExecutionDetails({
  name,
  execution,
  canWrite,
}: {
  name: string
  execution: Execution
  canWrite: boolean
}) {
  const client = useQueryClient()
  const detail = useQuery({
    queryKey: keys.execution(execution.id),
    queryFn: ({ signal }) => getExecution(execution.id, signal),
  })
  const rerun = useMutation({
    mutationFn: () => rerunExecution(execution.id, execution.trigger === 'http' ? HTTP_RERUN : undefined),
    onSuccess: () => client.invalidateQueries({ queryKey: ['functions', 'executions', name] }),
  })
  const traceId = detail.data?.traceId ?? execution.traceId
  const origin = detail.data?.origin ?? execution.origin
  const missingRoute = detail.error instanceof ApiError && detail.error.code === 'request/not-found'

  return (
    <div className="execution-details">
      <dl className="facts">
        <div>
          <dt>Execution</dt>
          <dd>
            <code>{execution.id}</code>
          </dd>
        </div>
        <div>
          <dt>Event</dt>
          <dd>
            <code>{execution.eventId}</code>
          </dd>
        </div>
        {origin && (
          <div>
            <dt>Started by</dt>
            <dd>
              {origin.kind === 'manual' ? 'an operator (run now)' : 'a re-run of '}
              {origin.sourceExecutionId && <code>{origin.sourceExecutionId}</code>}
            </dd>
          </div>
        )}
        {traceId && (
          <div>
            <dt>Trace</dt>
            <dd>
              <Link to="/events/traces/$traceId" params={{ traceId }}>
                View trace {traceId.slice(0, 8)}…
              </Link>
            </dd>
          </div>
        )}
      </dl>
      <h3>Logs</h3>
      <LogLines logs={execution.logs} error={execution.error} />
      <h3>Event</h3>
      {execution.trigger === 'http' ? (
        <p className="muted">HTTP requests are not kept.</p>
      ) : detail.data ? (
        detail.data.event ? (
          <>
            <p className="muted small">From the {detail.data.eventSource ?? 'server'}.</p>
            <ScrollBlock label="Event">
              <pre className="code-block">{JSON.stringify(detail.data.event, null, 2)}</pre>
            </ScrollBlock>
          </>
        ) : (
          <p className="muted">The event is no longer kept.</p>
        )
      ) : missingRoute ? (
        <p className="muted">This server does not show execution events.</p>
      ) : detail.error ? (
        <ErrorNotice error={detail.error} title="Event" />
      ) : (
        <p className="muted">Loading the event…</p>
      )}
      {canWrite && (
        <div className="form-actions">
          <button type="button" onClick={() => rerun.mutate()} disabled={rerun.isPending}>
            Re-run
          </button>
          <span className="muted small">
            {execution.trigger === 'http'
              ? 'Runs the live version again with POST / and no body (requests are not kept).'
              : 'Runs the same event again on the live version, once.'}
          </span>
        </div>
      )}
      <ErrorNotice error={rerun.error} title="Re-run" />
      {rerun.data && <RerunOutcome result={rerun.data} name={name} />}
    </div>
  )
}
