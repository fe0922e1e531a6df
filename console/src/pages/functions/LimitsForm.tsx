import { useId } from 'react'
import { LIMIT_BOUNDS, type Limits } from '../../api/functions.ts'
import type { LimitsDraft } from './draft.ts'

const FIELDS: readonly { key: keyof Limits; label: string; unit: string; hint: string }[] = [
  { key: 'timeoutMs', label: 'Timeout', unit: 'ms', hint: 'Wall-clock time per call, awaits included.' },
  { key: 'memoryMb', label: 'Memory', unit: 'MB', hint: 'Heap of the isolate; more fails the call.' },
  {
    key: 'concurrency',
    label: 'Concurrency',
    unit: 'per node',
    hint: 'Calls at once per process; the rest wait.',
  },
  {
    key: 'retries',
    label: 'Retries',
    unit: 'attempts',
    hint: 'After a failed event, queue or schedule run.',
  },
]

/** Timeout, memory, concurrency and retries, with the server's bounds. */
export function LimitsForm({
  limits,
  onChange,
  problems,
  readOnly,
}: {
  limits: LimitsDraft
  onChange: (limits: LimitsDraft) => void
  problems: Partial<Record<keyof Limits, string>>
  readOnly: boolean
}) {
  const id = useId()
  return (
    <div className="limits">
      {FIELDS.map(({ key, label, unit, hint }) => {
        const problem = problems[key]
        const { min, max } = LIMIT_BOUNDS[key]
        return (
          <div className="field" key={key}>
            <label htmlFor={`${id}-${key}`}>
              {label} <span className="muted">({unit})</span>
            </label>
            <input
              id={`${id}-${key}`}
              type="number"
              inputMode="numeric"
              min={min}
              max={max}
              step={1}
              value={limits[key]}
              readOnly={readOnly}
              aria-invalid={problem ? true : undefined}
              aria-describedby={`${id}-${key}-hint${problem ? ` ${id}-${key}-error` : ''}`}
              onChange={(e) => onChange({ ...limits, [key]: e.target.value })}
            />
            <small id={`${id}-${key}-hint`} className="field-hint">
              {hint}
            </small>
            {problem && (
              <small id={`${id}-${key}-error`} className="field-error">
                {problem}
              </small>
            )}
          </div>
        )
      })}
    </div>
  )
}
