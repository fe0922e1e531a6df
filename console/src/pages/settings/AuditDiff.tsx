import { useState } from 'react'
import { auditDiff, type DiffKind, diffSummary, showValue } from './audit-diff.ts'

const MARK: Record<DiffKind, { sign: string; label: string }> = {
  added: { sign: '+', label: 'added' },
  changed: { sign: '~', label: 'changed' },
  removed: { sign: '−', label: 'removed' },
  unchanged: { sign: '', label: 'unchanged' },
  'not-sent': { sign: '', label: 'not in the request' },
}

/**
 * Before and after of one audit entry, field by field: changes first-class, unchanged fields (and
 * fields the request did not send) folded away until asked for; and both sides as raw JSON.
 */
export function AuditDiff({ before, after }: { before: unknown; after: unknown }) {
  const [all, setAll] = useState(false)
  const [raw, setRaw] = useState(false)
  const rows = auditDiff(before, after)
  const quiet = rows.filter((row) => row.kind === 'unchanged' || row.kind === 'not-sent').length
  const shown = all ? rows : rows.filter((row) => row.kind !== 'unchanged' && row.kind !== 'not-sent')
  return (
    <div className="audit-diff">
      <div className="audit-diff-head">
        <span className="muted">{diffSummary(rows)}</span>
        {quiet > 0 && (
          <button type="button" aria-pressed={all} onClick={() => setAll((value) => !value)}>
            {all ? 'Hide unchanged fields' : `Show ${quiet} unchanged or unsent fields`}
          </button>
        )}
        <button type="button" aria-pressed={raw} onClick={() => setRaw((value) => !value)}>
          {raw ? 'Field view' : 'Raw JSON'}
        </button>
      </div>
      {raw ? (
        <div className="audit-raw">
          {(
            [
              ['Before', before],
              ['After (request body)', after],
            ] as const
          ).map(([label, value]) => (
            <figure key={label}>
              <figcaption>{label}</figcaption>
              {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard. */}
              <section className="raw-json" aria-label={label} tabIndex={0}>
                <pre>{value === undefined ? '(none)' : JSON.stringify(value, null, 2)}</pre>
              </section>
            </figure>
          ))}
        </div>
      ) : shown.length === 0 ? (
        <p className="muted">
          {rows.length === 0 ? 'Nothing was recorded for this change.' : 'No field changed.'}
        </p>
      ) : (
        <table className="table diff-table">
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Before</th>
              <th scope="col">After</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((row) => (
              <tr key={`${row.kind}:${row.path}`} className={`diff-${row.kind}`} data-kind={row.kind}>
                <th scope="row" className="mono">
                  <span className="diff-sign" aria-hidden="true">
                    {MARK[row.kind].sign}
                  </span>
                  {row.path || '(value)'}
                  <span className="visually-hidden"> ({MARK[row.kind].label})</span>
                </th>
                <td className="mono diff-before">{showValue(row.before)}</td>
                <td className="mono diff-after">
                  {row.kind === 'not-sent' ? <span className="muted">not sent</span> : showValue(row.after)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}
