import { useQuery } from '@tanstack/react-query'
import { type FormEvent, useId, useMemo } from 'react'
import { listCollections } from '../../api/data.ts'
import { bucketNames, SIMULATED_OPERATIONS, type SimulatedOperation } from '../../api/rules.ts'
import { CodeEditor, type CodeProblem } from '../../ui/CodeEditor.tsx'
import type { AuthMode, SimulatorSearch } from './search.ts'
import { parseObject } from './simulation.ts'
import { UserPicker } from './UserPicker.tsx'

function jsonProblems(text: string | undefined, what: string): CodeProblem[] {
  const { error } = parseObject(text, what)
  return error ? [{ message: error, line: 1 }] : []
}

const AUTH_LABELS: Record<AuthMode, string> = {
  anonymous: 'Anonymous (auth is null)',
  user: 'An existing user',
  claims: 'Custom claims',
}

/** The simulator's question: target, place, operation, caller, request data. */
export function SimulatorForm({
  draft,
  onChange,
  onSubmit,
  errors,
  busy,
}: {
  draft: SimulatorSearch
  onChange: (change: Partial<SimulatorSearch>) => void
  onSubmit: () => void
  errors: readonly string[]
  busy: boolean
}) {
  const id = useId()
  const target = draft.target ?? 'document'
  const mode = draft.auth ?? 'anonymous'
  const operation = draft.operation ?? 'read'
  const collections = useQuery({
    queryKey: ['collections'],
    queryFn: ({ signal }) => listCollections(signal),
  })
  const buckets = useQuery({ queryKey: ['bucket-names'], queryFn: ({ signal }) => bucketNames(signal) })
  const claimsProblems = useMemo(() => jsonProblems(draft.claims, 'Claims'), [draft.claims])
  const dataProblems = useMemo(() => jsonProblems(draft.data, 'Request data'), [draft.data])
  const existingProblems = useMemo(() => jsonProblems(draft.existing, 'The stored value'), [draft.existing])
  const writes = operation === 'create' || operation === 'update'

  function submit(event: FormEvent) {
    event.preventDefault()
    onSubmit()
  }

  return (
    <form className="panel simulator-form" onSubmit={submit} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Request</h2>
      <fieldset className="segmented">
        <legend>Target</legend>
        {(['document', 'object'] as const).map((value) => (
          <label key={value} className="radio">
            <input
              type="radio"
              name={`${id}-target`}
              checked={target === value}
              onChange={() => onChange({ target: value })}
            />
            <span>{value === 'document' ? 'Document' : 'Storage object'}</span>
          </label>
        ))}
      </fieldset>
      <div className="field-row">
        {target === 'document' ? (
          <>
            <label className="field grow">
              <span>Collection</span>
              <input
                list={`${id}-collections`}
                value={draft.collection ?? ''}
                onChange={(event) => onChange({ collection: event.target.value || undefined })}
                spellCheck={false}
                autoComplete="off"
              />
              <datalist id={`${id}-collections`}>
                {(collections.data ?? []).map((c) => (
                  <option key={c.name} value={c.name} />
                ))}
              </datalist>
            </label>
            <label className="field grow">
              <span>Document id (optional)</span>
              <input
                value={draft.id ?? ''}
                onChange={(event) => onChange({ id: event.target.value || undefined })}
                spellCheck={false}
                autoComplete="off"
              />
            </label>
          </>
        ) : (
          <>
            <label className="field grow">
              <span>Bucket</span>
              <input
                list={`${id}-buckets`}
                value={draft.bucket ?? ''}
                onChange={(event) => onChange({ bucket: event.target.value || undefined })}
                spellCheck={false}
                autoComplete="off"
              />
              <datalist id={`${id}-buckets`}>
                {(buckets.data ?? []).map((name) => (
                  <option key={name} value={name} />
                ))}
              </datalist>
            </label>
            <label className="field grow">
              <span>Object key (optional for list)</span>
              <input
                value={draft.key ?? ''}
                onChange={(event) => onChange({ key: event.target.value || undefined })}
                spellCheck={false}
                autoComplete="off"
              />
            </label>
          </>
        )}
        <label className="field">
          <span>Operation</span>
          <select
            value={operation}
            onChange={(event) => onChange({ operation: event.target.value as SimulatedOperation })}
          >
            {SIMULATED_OPERATIONS.map((op) => (
              <option key={op} value={op}>
                {op}
              </option>
            ))}
          </select>
        </label>
      </div>

      <fieldset className="segmented">
        <legend>Caller (auth)</legend>
        {(Object.keys(AUTH_LABELS) as AuthMode[]).map((value) => (
          <label key={value} className="radio">
            <input
              type="radio"
              name={`${id}-auth`}
              checked={mode === value}
              onChange={() => onChange({ auth: value })}
            />
            <span>{AUTH_LABELS[value]}</span>
          </label>
        ))}
      </fieldset>
      {mode === 'user' && (
        <UserPicker
          uid={draft.uid}
          email={draft.email}
          onPick={(user) => onChange({ uid: user.uid, email: user.email })}
        />
      )}
      {mode !== 'anonymous' && (
        <div className="field">
          <span>
            {mode === 'user' ? 'Extra claims laid over the user’s (optional, JSON)' : 'Claims (JSON)'}
          </span>
          <CodeEditor
            value={draft.claims ?? ''}
            onChange={(value) => onChange({ claims: value || undefined })}
            language="json"
            label={mode === 'user' ? 'Extra claims (JSON)' : 'Claims (JSON)'}
            problems={claimsProblems}
            minHeight="4rem"
          />
          <small className="muted hint">
            e.g. <code>{'{"sub": "u1", "email": "a@b.c", "aal": "aal2"}'}</code>
          </small>
        </div>
      )}

      <div className="field">
        <span>
          Request data (JSON){writes ? '' : ' — used by create and update'}
          {target === 'object' ? ': what an upload declares, {size, contentType, metadata}' : ''}
        </span>
        <CodeEditor
          value={draft.data ?? ''}
          onChange={(value) => onChange({ data: value || undefined })}
          language="json"
          label="Request data (JSON)"
          problems={dataProblems}
          minHeight="4rem"
        />
      </div>
      <details className="field" open={draft.existing !== undefined}>
        <summary>
          Assume a stored {target === 'document' ? 'document' : 'object'} (instead of the one at the id)
        </summary>
        <CodeEditor
          value={draft.existing ?? ''}
          onChange={(value) => onChange({ existing: value || undefined })}
          language="json"
          label={`Assumed stored ${target} (JSON)`}
          problems={existingProblems}
          minHeight="4rem"
        />
      </details>
      {errors.length > 0 && (
        <ul className="problems" aria-label="What the simulation still needs">
          {errors.map((error) => (
            <li key={error}>{error}</li>
          ))}
        </ul>
      )}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Simulating…' : 'Simulate'}
        </button>
      </div>
    </form>
  )
}
