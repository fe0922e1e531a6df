import { useState } from 'react'
import { type EnvRow, rowKey } from './draft.ts'

/**
 * The function's environment (`ctx.env`): names in the clear, values masked until revealed one by one.
 * A value the server did not show (it masks them) is marked, and must be entered again to deploy.
 */
export function EnvEditor({
  rows,
  onChange,
  problems,
  readOnly,
}: {
  rows: readonly EnvRow[]
  onChange: (rows: EnvRow[]) => void
  problems: Record<number, string>
  readOnly: boolean
}) {
  const [revealed, setRevealed] = useState<ReadonlySet<string>>(new Set())
  const toggle = (key: string) =>
    setRevealed((current) => {
      const next = new Set(current)
      if (!next.delete(key)) next.add(key)
      return next
    })
  const update = (index: number, change: Partial<EnvRow>) =>
    onChange(rows.map((row, i) => (i === index ? { ...row, ...change } : row)))

  return (
    <div className="env">
      {rows.length === 0 && <p className="muted">No variables.</p>}
      {rows.length > 0 && (
        <table className="table env-table">
          <thead>
            <tr>
              <th scope="col">Variable</th>
              <th scope="col">Value</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row, index) => {
              const shown = revealed.has(row.key)
              const problem = problems[index]
              const errorId = `${row.key}-error`
              const label = row.name.trim() || `variable ${index + 1}`
              return (
                <tr key={row.key}>
                  <td>
                    {readOnly ? (
                      <code>{row.name}</code>
                    ) : (
                      <input
                        aria-label={`Variable ${index + 1}`}
                        className="mono"
                        value={row.name}
                        spellCheck={false}
                        autoComplete="off"
                        placeholder="API_URL"
                        aria-invalid={problem ? true : undefined}
                        aria-describedby={problem ? errorId : undefined}
                        onChange={(e) => update(index, { name: e.target.value })}
                      />
                    )}
                    {problem && (
                      <small id={errorId} className="field-error">
                        {problem}
                      </small>
                    )}
                  </td>
                  <td>
                    {readOnly ? (
                      <span className="mono">
                        {row.hidden ? '•••• (hidden by the server)' : shown ? row.value : '••••••••'}
                      </span>
                    ) : (
                      <input
                        aria-label={`Value of ${label}`}
                        className="mono"
                        type={shown ? 'text' : 'password'}
                        value={row.value}
                        autoComplete="new-password"
                        spellCheck={false}
                        placeholder={row.hidden ? 'hidden by the server: enter it again' : ''}
                        onChange={(e) => update(index, { value: e.target.value, hidden: false })}
                      />
                    )}
                  </td>
                  <td className="row-actions">
                    {!row.hidden && (
                      <button
                        type="button"
                        aria-label={`${shown ? 'Hide' : 'Show'} the value of ${label}`}
                        onClick={() => toggle(row.key)}
                      >
                        {shown ? 'Hide' : 'Show'}
                      </button>
                    )}
                    {!readOnly && (
                      <button
                        type="button"
                        aria-label={`Remove ${label}`}
                        onClick={() => onChange(rows.filter((_, i) => i !== index))}
                      >
                        Remove
                      </button>
                    )}
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
      {!readOnly && (
        <button
          type="button"
          onClick={() => onChange([...rows, { key: rowKey(), name: '', value: '', hidden: false }])}
        >
          Add variable
        </button>
      )}
    </div>
  )
}
