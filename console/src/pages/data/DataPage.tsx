import { useQuery } from '@tanstack/react-query'
import { Link } from '@tanstack/react-router'
import { useState } from 'react'
import { type CollectionInfo, listCollections, RULE_ACTIONS } from '../../api/data.ts'
import { canWrite } from '../../api/session.ts'
import { useAdmin } from '../../app/session.tsx'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { dateTime, fromNow, number } from '../../ui/format.ts'
import { Loading } from '../../ui/Loading.tsx'
import { PageHeader } from '../../ui/PageHeader.tsx'
import { NewCollectionForm } from './NewCollectionForm.tsx'
import { ruleSummary } from './rule-summary.ts'
import './data.css'

export const COLLECTIONS_KEY = ['collections'] as const

function RulesCell({ info }: { info: CollectionInfo }) {
  if (!info.configured) return <span className="badge">admins only</span>
  return (
    <span className="rule-chips">
      {RULE_ACTIONS.map((action) => {
        const summary = ruleSummary(info.rules?.[action])
        return (
          <span key={action} className={`rule-chip rule-chip-${summary.kind}`} title={summary.title}>
            {action}: {summary.label}
          </span>
        )
      })}
    </span>
  )
}

/** Every collection (configured or holding documents), with counts; a form to create one. */
export function DataPage() {
  const admin = useAdmin()
  const writer = canWrite(admin)
  const [creating, setCreating] = useState(false)
  const [filter, setFilter] = useState('')
  const collections = useQuery({
    queryKey: COLLECTIONS_KEY,
    queryFn: ({ signal }) => listCollections(signal),
  })
  const shown = (collections.data ?? []).filter((c) =>
    c.name.toLowerCase().includes(filter.trim().toLowerCase()),
  )

  return (
    <>
      <PageHeader
        title="Data"
        description="Collections and their documents, rules, schemas and indexes."
        actions={
          writer ? (
            <button
              type="button"
              className="primary"
              aria-expanded={creating}
              onClick={() => setCreating((open) => !open)}
            >
              New collection
            </button>
          ) : (
            <span className="muted">Viewers can browse data but not change it.</span>
          )
        }
      />
      {creating && writer && (
        <NewCollectionForm existing={collections.data ?? []} onClose={() => setCreating(false)} />
      )}
      <section className="panel" aria-labelledby="collections-title">
        <div className="panel-head">
          <h2 id="collections-title">Collections</h2>
          <label className="inline-field">
            <span>Find a collection</span>
            <input type="search" value={filter} onChange={(event) => setFilter(event.target.value)} />
          </label>
        </div>
        <ErrorNotice error={collections.error} title="Collections" />
        {collections.isPending && <Loading label="Loading collections…" />}
        {collections.data && (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Collection</th>
                <th scope="col" className="numeric">
                  Documents
                </th>
                <th scope="col">Rules</th>
                <th scope="col">Schema</th>
                <th scope="col" className="numeric">
                  Indexes
                </th>
                <th scope="col">Configuration changed</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((info) => (
                <tr key={info.name}>
                  <td>
                    <Link to="/data/$collection" params={{ collection: info.name }} className="mono">
                      {info.name}
                    </Link>
                  </td>
                  <td className="numeric">{number(info.documentCount)}</td>
                  <td>
                    <RulesCell info={info} />
                  </td>
                  <td>{info.schema ? 'JSON Schema' : <span className="muted">none</span>}</td>
                  <td className="numeric">{info.indexes.length}</td>
                  <td title={dateTime(info.updatedAt)}>
                    {info.updatedAt ? fromNow(info.updatedAt) : <span className="muted">never</span>}
                  </td>
                </tr>
              ))}
              {shown.length === 0 && (
                <tr>
                  <td colSpan={6} className="muted">
                    {collections.data.length === 0
                      ? 'No collections yet. A collection appears once it is configured or holds a document.'
                      : 'No collection matches.'}
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        )}
      </section>
    </>
  )
}
