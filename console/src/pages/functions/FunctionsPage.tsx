import { Link, useNavigate } from '@tanstack/react-router'
import { useId, useState } from 'react'
import type { FunctionActivity } from '../../api/functions.ts'
import { canWrite } from '../../api/session.ts'
import { useAdmin } from '../../app/session.tsx'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { dateTime, fromNow, number } from '../../ui/format.ts'
import { Loading } from '../../ui/Loading.tsx'
import { ManagedBadge, useLiveResources } from '../../ui/Managed.tsx'
import { PageHeader } from '../../ui/PageHeader.tsx'
import { triggerSummary } from './draft.ts'
import { useActivity, useFunctionList } from './queries.ts'
import './functions.css'

/** "3.4 %", "0 %", or "—" when nothing ran. */
export function errorRate(activity: FunctionActivity | undefined): string {
  if (!activity || activity.calls === 0) return '—'
  const rate = (activity.failures / activity.calls) * 100
  return `${rate === 0 || rate >= 10 ? rate.toFixed(0) : rate.toFixed(1)} %`
}

/** Every deployed function: live version, triggers, and the last hour's calls and error rate. */
export function FunctionsPage() {
  const admin = useAdmin()
  const navigate = useNavigate()
  const functions = useFunctionList()
  const activity = useActivity()
  const managed = useLiveResources().filter((r) => r.kind === 'function')
  const [filter, setFilter] = useState('')
  const filterId = useId()
  const shown = (functions.data ?? []).filter((f) =>
    f.name.toLowerCase().includes(filter.trim().toLowerCase()),
  )

  return (
    <>
      <PageHeader
        title="Functions"
        description="Code that runs on HTTP calls, platform events, schedules and queue messages."
        actions={
          canWrite(admin) ? (
            <button type="button" className="primary" onClick={() => void navigate({ to: '/functions/new' })}>
              New function
            </button>
          ) : undefined
        }
      />
      <ErrorNotice error={functions.error} title="Functions" />
      {functions.isPending && <Loading label="Loading functions…" />}
      {functions.data && functions.data.length === 0 && (
        <section className="panel empty">
          <h2>No functions yet</h2>
          <p className="muted">
            {canWrite(admin)
              ? 'Create one: write an async (event, ctx) => result module, choose its triggers, and deploy.'
              : 'A developer or owner can create them.'}
          </p>
        </section>
      )}
      {functions.data && functions.data.length > 0 && (
        <section className="panel" aria-labelledby="functions-title">
          <div className="panel-head">
            <h2 id="functions-title">
              {functions.data.length} function{functions.data.length === 1 ? '' : 's'}
            </h2>
            {functions.data.length > 5 && (
              <div className="field inline">
                <label htmlFor={filterId}>Filter</label>
                <input
                  id={filterId}
                  type="search"
                  value={filter}
                  onChange={(e) => setFilter(e.target.value)}
                />
              </div>
            )}
          </div>
          {activity.error && (
            <p className="muted small">
              Calls and error rates are unavailable: {(activity.error as Error).message}
            </p>
          )}
          <table className="table functions-table">
            <thead>
              <tr>
                <th scope="col">Function</th>
                <th scope="col">Live version</th>
                <th scope="col">Triggers</th>
                <th scope="col" className="numeric">
                  Calls (1 h)
                </th>
                <th scope="col" className="numeric">
                  Error rate (1 h)
                </th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((f) => {
                const stats = activity.data?.get(f.name)
                const failing = stats && stats.failures > 0
                return (
                  <tr key={f.name}>
                    <td>
                      <Link to="/functions/$name" params={{ name: f.name }} className="function-link">
                        {f.name}
                      </Link>{' '}
                      <ManagedBadge state={managed.find((r) => r.name === f.name)} compact />
                    </td>
                    <td>v{f.version}</td>
                    <td>
                      <ul className="chips">
                        {f.triggers.map((t, i) => (
                          // biome-ignore lint/suspicious/noArrayIndexKey: a version's triggers never move.
                          <li key={i} className={`chip chip-${t.type}`}>
                            {triggerSummary(t)}
                          </li>
                        ))}
                        {f.triggers.length === 0 && <li className="muted">none</li>}
                      </ul>
                    </td>
                    <td className="numeric">{activity.data ? number(stats?.calls ?? 0) : '…'}</td>
                    <td className={`numeric${failing ? ' failing' : ''}`}>
                      {activity.data ? errorRate(stats) : '…'}
                    </td>
                    <td title={f.updatedAt ? dateTime(f.updatedAt) : undefined}>{fromNow(f.updatedAt)}</td>
                  </tr>
                )
              })}
              {shown.length === 0 && (
                <tr>
                  <td colSpan={6} className="muted">
                    No function matches "{filter}".
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </section>
      )}
    </>
  )
}
