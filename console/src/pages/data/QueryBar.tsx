import { type FormEvent, useEffect, useId, useMemo, useState } from 'react'
import type { OrderClause, WhereClause, WhereOp } from '../../api/data.ts'
import {
  type FilterRow,
  filtersToWhere,
  isListOp,
  SYSTEM_ORDER_FIELDS,
  WHERE_OPS,
  whereToFilters,
} from './query.ts'

const blankRow = (): FilterRow => ({ field: '', op: '==', value: '' })

/**
 * Filters as rows of `[field, op, value]` (the API's `where`) and a sort (`orderBy`), applied together.
 * The where JSON being built is shown as it is typed, so what is sent is never a guess.
 */
export function QueryBar({
  where,
  orderBy,
  fields,
  onApply,
}: {
  where: readonly WhereClause[]
  orderBy: readonly OrderClause[]
  /** Field names to suggest (the grid's columns). */
  fields: readonly string[]
  onApply: (where: WhereClause[], orderBy: OrderClause[]) => void
}) {
  const id = useId()
  const [rows, setRows] = useState<FilterRow[]>(() => (where.length ? whereToFilters(where) : []))
  const [sortField, setSortField] = useState(orderBy[0]?.[0] ?? '')
  const [sortDir, setSortDir] = useState<'asc' | 'desc'>(orderBy[0]?.[1] ?? 'asc')

  // A query changed from outside (a header click, a link) shows in the form.
  const whereKey = JSON.stringify(where)
  const orderKey = JSON.stringify(orderBy)
  // biome-ignore lint/correctness/useExhaustiveDependencies: keyed on the JSON of the applied query.
  useEffect(() => {
    setRows(where.length ? whereToFilters(where) : [])
  }, [whereKey])
  // biome-ignore lint/correctness/useExhaustiveDependencies: keyed on the JSON of the applied order.
  useEffect(() => {
    setSortField(orderBy[0]?.[0] ?? '')
    setSortDir(orderBy[0]?.[1] ?? 'asc')
  }, [orderKey])

  const built = useMemo(() => filtersToWhere(rows), [rows])
  const invalid = built.errors.some((error) => error !== null)
  const update = (index: number, change: Partial<FilterRow>) =>
    setRows((current) => current.map((row, i) => (i === index ? { ...row, ...change } : row)))

  function submit(event: FormEvent) {
    event.preventDefault()
    if (invalid) return
    onApply(built.where, sortField.trim() ? [[sortField.trim(), sortDir]] : [])
  }

  return (
    <form className="query-bar" onSubmit={submit} aria-label="Query">
      <datalist id={`${id}-fields`}>
        {fields.map((field) => (
          <option key={field} value={field} />
        ))}
      </datalist>
      <fieldset className="filters">
        <legend>Filters</legend>
        {rows.length === 0 && <p className="muted">No filters: every document, in the chosen order.</p>}
        {rows.map((row, index) => {
          const error = built.errors[index]
          const n = index + 1
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity but their place.
            <div className="filter-row" key={index}>
              <input
                aria-label={`Filter ${n} field`}
                placeholder="field (a.b for nested)"
                list={`${id}-fields`}
                value={row.field}
                onChange={(event) => update(index, { field: event.target.value })}
                spellCheck={false}
                aria-invalid={error ? true : undefined}
                aria-describedby={error ? `${id}-error-${index}` : undefined}
              />
              <select
                aria-label={`Filter ${n} operator`}
                value={row.op}
                onChange={(event) => update(index, { op: event.target.value as WhereOp })}
              >
                {WHERE_OPS.map((op) => (
                  <option key={op} value={op}>
                    {op}
                  </option>
                ))}
              </select>
              <input
                aria-label={`Filter ${n} value`}
                placeholder={isListOp(row.op) ? 'a, b, 3 or ["a", 3]' : 'text, 42, true, null or "42"'}
                value={row.value}
                onChange={(event) => update(index, { value: event.target.value })}
                spellCheck={false}
              />
              <button
                type="button"
                aria-label={`Remove filter ${n}`}
                onClick={() => setRows((current) => current.filter((_, i) => i !== index))}
              >
                Remove
              </button>
              {error && (
                <span className="field-error" id={`${id}-error-${index}`}>
                  {error}
                </span>
              )}
            </div>
          )
        })}
        <button type="button" onClick={() => setRows((current) => [...current, blankRow()])}>
          Add filter
        </button>
      </fieldset>
      <fieldset className="sort">
        <legend>Sort</legend>
        <input
          aria-label="Sort by field"
          placeholder="$createdAt (default)"
          list={`${id}-sort-fields`}
          value={sortField}
          onChange={(event) => setSortField(event.target.value)}
          spellCheck={false}
        />
        <datalist id={`${id}-sort-fields`}>
          {[...SYSTEM_ORDER_FIELDS, ...fields].map((field) => (
            <option key={field} value={field} />
          ))}
        </datalist>
        <select
          aria-label="Sort direction"
          value={sortDir}
          onChange={(event) => setSortDir(event.target.value as 'asc' | 'desc')}
        >
          <option value="asc">ascending</option>
          <option value="desc">descending</option>
        </select>
      </fieldset>
      <div className="query-actions">
        <button type="submit" className="primary" disabled={invalid}>
          Apply
        </button>
        <button
          type="button"
          onClick={() => {
            setRows([])
            setSortField('')
            onApply([], [])
          }}
        >
          Clear
        </button>
        <span className="where-preview">
          <span className="muted">Sends </span>
          <code data-testid="where-json">where={JSON.stringify(built.where)}</code>
        </span>
      </div>
    </form>
  )
}
