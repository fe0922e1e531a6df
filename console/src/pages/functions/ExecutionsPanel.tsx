import { useInfiniteQuery } from '@tanstack/react-query'
import { Fragment, useId, useState } from 'react'
import { type ExecutionFilter, listExecutions } from '../../api/functions.ts'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { dateTime, duration, fromNow } from '../../ui/format.ts'
import { Loading } from '../../ui/Loading.tsx'
import { ExecutionDetails } from './ExecutionDetails.tsx'
import { keys } from './queries.ts'
import { EXECUTION_STATUSES, EXECUTION_TRIGGERS, type FunctionSearch } from './search.ts'

const PAGE = 25

/** An ISO time as a `datetime-local` value (the viewer's zone), and back. */
export function toLocalInput(iso: string | undefined): string {
  if (!iso) return ''
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return ''
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000)
  return local.toISOString().slice(0, 16)
}

export function fromLocalInput(value: string): string | undefined {
  if (!value) return undefined
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString()
}

type Filters = Pick<FunctionSearch, 'status' | 'trigger' | 'from' | 'to'>

/** A function's executions, newest first, filtered by status, trigger and time; each can be opened. */
export function ExecutionsPanel({
  name,
  filters,
  opened,
  onFilters,
  onOpen,
  canWrite,
}: {
  name: string
  filters: Filters
  opened: string | undefined
  onFilters: (filters: Filters) => void
  onOpen: (id: string | undefined) => void
  canWrite: boolean
}) {
  const id = useId()
  const filter: ExecutionFilter = { ...filters }
  const [rangeError, setRangeError] = useState<string | null>(null)
  const executions = useInfiniteQuery({
    queryKey: keys.executions(name, filter),
    queryFn: ({ pageParam, signal }) =>
      listExecutions(name, { ...filter, limit: PAGE, cursor: pageParam }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  })
  const rows = executions.data?.pages.flatMap((page) => page.executions) ?? []

  function setTime(which: 'from' | 'to', value: string) {
    const next = { ...filters, [which]: fromLocalInput(value) }
    if (next.from && next.to && next.from > next.to) {
      setRangeError('"From" must not be after "To".')
      return
    }
    setRangeError(null)
    onFilters(next)
  }

  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <div className="panel-head">
        <h2 id={`${id}-title`}>Executions</h2>
        <button type="button" onClick={() => void executions.refetch()} disabled={executions.isFetching}>
          {executions.isFetching ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      <div className="field-row filters">
        <div className="field">
          <label htmlFor={`${id}-status`}>Status</label>
          <select
            id={`${id}-status`}
            value={filters.status ?? ''}
            onChange={(e) =>
              onFilters({ ...filters, status: (e.target.value || undefined) as Filters['status'] })
            }
          >
            <option value="">Any</option>
            {EXECUTION_STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-trigger`}>Trigger</label>
          <select
            id={`${id}-trigger`}
            value={filters.trigger ?? ''}
            onChange={(e) =>
              onFilters({ ...filters, trigger: (e.target.value || undefined) as Filters['trigger'] })
            }
          >
            <option value="">Any</option>
            {EXECUTION_TRIGGERS.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-from`}>From</label>
          <input
            id={`${id}-from`}
            type="datetime-local"
            value={toLocalInput(filters.from)}
            onChange={(e) => setTime('from', e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-to`}>To</label>
          <input
            id={`${id}-to`}
            type="datetime-local"
            value={toLocalInput(filters.to)}
            onChange={(e) => setTime('to', e.target.value)}
          />
        </div>
        {(filters.status || filters.trigger || filters.from || filters.to) && (
          <button type="button" onClick={() => onFilters({})}>
            Clear filters
          </button>
        )}
      </div>
      {rangeError && (
        <p className="notice notice-error" role="alert">
          {rangeError}
        </p>
      )}
      <ErrorNotice error={executions.error} title="Executions" />
      {executions.isPending && <Loading label="Loading executions…" />}
      {executions.data && rows.length === 0 && (
        <p className="muted">
          No execution{filters.status || filters.trigger ? ' matches these filters' : ' yet'}.
        </p>
      )}
      {rows.length > 0 && (
        <table className="table executions">
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Started</th>
              <th scope="col">Duration</th>
              <th scope="col">Trigger</th>
              <th scope="col">Version</th>
              <th scope="col">Attempt</th>
              <th scope="col">
                <span className="visually-hidden">Details</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((execution) => {
              const open = opened === execution.id
              const detailsId = `${id}-${execution.id}`
              return (
                <Fragment key={execution.id}>
                  <tr className={open ? 'open' : undefined}>
                    <td>
                      <span className={`badge badge-${execution.status}`}>{execution.status}</span>
                    </td>
                    <td title={dateTime(execution.startedAt)}>{fromNow(execution.startedAt)}</td>
                    <td>
                      {duration(execution.durationMs)}
                      {execution.coldStart && <span className="badge">cold</span>}
                    </td>
                    <td>
                      {execution.trigger}
                      {execution.origin && (
                        <span className="muted">
                          {' '}
                          ({execution.origin.kind === 'manual' ? 'run now' : 're-run'})
                        </span>
                      )}
                    </td>
                    <td>v{execution.version}</td>
                    <td>{execution.attempt}</td>
                    <td>
                      <button
                        type="button"
                        aria-expanded={open}
                        aria-controls={open ? detailsId : undefined}
                        aria-label={`${open ? 'Hide' : 'Show'} details of the ${execution.status} execution started ${dateTime(execution.startedAt)}`}
                        onClick={() => onOpen(open ? undefined : execution.id)}
                      >
                        {open ? 'Hide' : 'Details'}
                      </button>
                    </td>
                  </tr>
                  {open && (
                    <tr className="details-row">
                      <td colSpan={7} id={detailsId}>
                        <ExecutionDetails name={name} execution={execution} canWrite={canWrite} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              )
            })}
          </tbody>
        </table>
      )}
      {executions.hasNextPage && (
        <button
          type="button"
          onClick={() => void executions.fetchNextPage()}
          disabled={executions.isFetchingNextPage}
        >
          {executions.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </button>
      )}
    </section>
  )
}
