import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { Fragment, useState } from 'react'
import { type AuditEntry, listAudit } from '../../api/admins.ts'
import { CursorPager, useCursorPages } from '../../ui/CursorPager.tsx'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { dateTime, fromNow } from '../../ui/format.ts'
import { Loading } from '../../ui/Loading.tsx'
import { AuditDiff } from './AuditDiff.tsx'

const PAGE_SIZE = 25

function actorOf(entry: AuditEntry): string {
  if (entry.actor.type === 'admin') return entry.actor.email ?? entry.actor.id ?? 'an admin'
  return entry.ip === null ? 'command line' : 'service key'
}

/** `{bucket: "a", "*": "x/y"}` → `bucket=a, key=x/y`. */
export function targetText(target: Record<string, unknown>): string {
  return Object.entries(target)
    .map(
      ([name, value]) =>
        `${name === '*' ? 'key' : name}=${typeof value === 'string' ? value : JSON.stringify(value)}`,
    )
    .join(', ')
}

/** The audit log, newest first, a page at a time; each entry opens to its before/after. */
export function AuditTab() {
  const pages = useCursorPages()
  const [open, setOpen] = useState<Set<string>>(new Set())
  const { cursor } = pages
  const audit = useQuery({
    queryKey: ['audit', cursor],
    queryFn: ({ signal }) => listAudit({ limit: PAGE_SIZE, cursor }, signal),
    placeholderData: keepPreviousData,
  })
  const toggle = (id: string) =>
    setOpen((current) => {
      const next = new Set(current)
      if (next.has(id)) next.delete(id)
      else next.add(id)
      return next
    })

  return (
    <section className="panel" aria-labelledby="audit-title">
      <div className="panel-head">
        <h2 id="audit-title">Audit log</h2>
        <button type="button" onClick={() => void audit.refetch()} disabled={audit.isFetching}>
          {audit.isFetching ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      <p className="muted">
        Every change made under <code>/admin/v1</code>, by an admin or the service key. Passwords, secrets,
        tokens and function environments are redacted.
      </p>
      {audit.error ? (
        <ErrorNotice error={audit.error} title="Audit log" />
      ) : !audit.data ? (
        <Loading label="Loading the audit log…" />
      ) : (
        <>
          <table className="table audit-table" aria-busy={audit.isFetching}>
            <caption className="visually-hidden">Audit entries, page {pages.page}, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">IP</th>
                <th scope="col">Changes</th>
              </tr>
            </thead>
            <tbody>
              {audit.data.entries.map((entry) => {
                const expanded = open.has(entry.id)
                const panel = `audit-${entry.id}`
                return (
                  <Fragment key={entry.id}>
                    <tr className={expanded ? 'expanded' : undefined}>
                      <td title={dateTime(entry.at)}>{fromNow(entry.at)}</td>
                      <td>{actorOf(entry)}</td>
                      <td className="mono">{entry.action}</td>
                      <td className="mono">{targetText(entry.target)}</td>
                      <td className="mono">{entry.ip ?? '—'}</td>
                      <td>
                        <button
                          type="button"
                          aria-expanded={expanded}
                          aria-controls={expanded ? panel : undefined}
                          aria-label={`${expanded ? 'Hide' : 'Show'} changes of ${entry.action} ${fromNow(entry.at)}`}
                          onClick={() => toggle(entry.id)}
                        >
                          {expanded ? 'Hide' : 'Show'}
                        </button>
                      </td>
                    </tr>
                    {expanded && (
                      <tr id={panel} className="audit-detail">
                        <td colSpan={6}>
                          <AuditDiff before={entry.before} after={entry.after} />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                )
              })}
              {audit.data.entries.length === 0 && (
                <tr>
                  <td colSpan={6} className="muted">
                    No change recorded yet.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
          <CursorPager label="Audit log pages" pages={pages} nextCursor={audit.data.nextCursor} />
        </>
      )}
    </section>
  )
}
