import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useId, useState } from 'react'
import {
  API_KEY_SCOPES,
  type ApiKey,
  type ApiKeyScope,
  createApiKey,
  listApiKeys,
  revokeApiKey,
} from '../../api/admins.ts'
import { ConfirmAction } from '../../ui/ConfirmDialog.tsx'
import { CopyButton } from '../../ui/CopyButton.tsx'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { dateTime, fromNow } from '../../ui/format.ts'
import { Loading } from '../../ui/Loading.tsx'
import { SelectField } from '../../ui/SelectField.tsx'

const API_KEYS_KEY = ['api-keys'] as const

const LIFETIMES = [
  { days: 0, label: 'Never' },
  { days: 7, label: 'In 7 days' },
  { days: 30, label: 'In 30 days' },
  { days: 90, label: 'In 90 days' },
  { days: 365, label: 'In a year' },
] as const

/** The key just created, shown this once. */
interface Created {
  name: string
  key: string
}

function ScopeChoice({
  scope,
  what,
  checked,
  onChange,
}: {
  scope: ApiKeyScope
  what: string
  checked: boolean
  onChange: (checked: boolean) => void
}) {
  const hint = useId()
  return (
    <div className="scope-choice">
      <label className="check-field">
        <input
          type="checkbox"
          checked={checked}
          aria-describedby={hint}
          onChange={(event) => onChange(event.target.checked)}
        />
        <code>{scope}</code>
      </label>
      <span id={hint} className="muted">
        {what}
      </span>
    </div>
  )
}

function CreateApiKey({ onCreated }: { onCreated: (created: Created) => void }) {
  const client = useQueryClient()
  const [name, setName] = useState('')
  const [scopes, setScopes] = useState<ApiKeyScope[]>([])
  const [days, setDays] = useState(0)
  const create = useMutation({
    mutationFn: () => createApiKey({ name, scopes, ...(days ? { expiresInDays: days } : {}) }),
    onSuccess: async (created) => {
      await client.invalidateQueries({ queryKey: API_KEYS_KEY })
      setName('')
      setScopes([])
      setDays(0)
      onCreated({ name: created.name, key: created.key })
    },
  })
  const submit = (event: FormEvent) => {
    event.preventDefault()
    create.mutate()
  }
  const toggle = (scope: ApiKeyScope, on: boolean) =>
    setScopes((current) => (on ? [...current, scope] : current.filter((s) => s !== scope)))
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="create-api-key-title">
      <h2 id="create-api-key-title">Create an API key</h2>
      <p className="muted">
        An API key works like the service key (<code>Authorization: Bearer sk_…</code>), but only for what its
        scopes allow, until it expires or is revoked. Give each server or CI job its own.
      </p>
      <div className="field-row">
        <label className="field">
          <span>Name</span>
          <input
            value={name}
            required
            maxLength={100}
            placeholder="e.g. CI deploys"
            onChange={(event) => setName(event.target.value)}
          />
        </label>
        <SelectField
          label="Expires"
          value={String(days)}
          onChange={(event) => setDays(Number(event.target.value))}
        >
          {LIFETIMES.map((option) => (
            <option key={option.days} value={option.days}>
              {option.label}
            </option>
          ))}
        </SelectField>
      </div>
      <fieldset className="scope-choices">
        <legend>Scopes</legend>
        {API_KEY_SCOPES.map((option) => (
          <ScopeChoice
            key={option.scope}
            scope={option.scope}
            what={option.what}
            checked={scopes.includes(option.scope)}
            onChange={(on) => toggle(option.scope, on)}
          />
        ))}
      </fieldset>
      <ErrorNotice error={create.error} title="Not created" />
      <div className="form-actions">
        <button type="submit" className="primary" disabled={create.isPending || scopes.length === 0}>
          {create.isPending ? 'Creating…' : 'Create API key'}
        </button>
        {scopes.length === 0 && <span className="muted">Pick at least one scope.</span>}
      </div>
    </form>
  )
}

/** The new key's secret, once: copy it now or never. */
function NewKey({ created, onDone }: { created: Created; onDone: () => void }) {
  return (
    <section className="panel secret-row" aria-labelledby="new-api-key-title">
      <h2 id="new-api-key-title">New API key “{created.name}”</h2>
      <p className="notice notice-ok" role="status">
        Copy it now: it is shown this once. The server keeps only a hash and cannot show it again.
      </p>
      <label className="field">
        <span>API key (shown once)</span>
        <textarea
          readOnly
          rows={2}
          className="mono"
          value={created.key}
          onFocus={(event) => event.target.select()}
        />
      </label>
      <div className="form-actions">
        <CopyButton text={created.key} label="Copy API key" />
        <button type="button" onClick={onDone}>
          Done
        </button>
      </div>
    </section>
  )
}

function status(key: ApiKey, now = Date.now()): { text: string; className: string } {
  if (key.revokedAt) return { text: 'revoked', className: 'badge badge-down' }
  if (key.expiresAt && Date.parse(key.expiresAt) <= now) return { text: 'expired', className: 'badge' }
  return { text: 'active', className: 'badge badge-ok' }
}

function creator(key: ApiKey): string {
  const by = key.createdBy
  if (by.type === 'admin') return by.email ?? by.id ?? 'an admin'
  return by.id ? `API key ${by.id.replace(/^apikey:/, '')}` : 'service key'
}

/** API keys: create one (its secret shown once), list them, revoke one after asking. Owners only. */
export function ApiKeysSection() {
  const client = useQueryClient()
  const [created, setCreated] = useState<Created | null>(null)
  const [done, setDone] = useState<string | null>(null)
  const keys = useQuery({ queryKey: API_KEYS_KEY, queryFn: ({ signal }) => listApiKeys(signal) })
  return (
    <>
      {created ? (
        <NewKey created={created} onDone={() => setCreated(null)} />
      ) : (
        <CreateApiKey
          onCreated={(key) => {
            setDone(null)
            setCreated(key)
          }}
        />
      )}
      <section className="panel" aria-labelledby="api-keys-title">
        <h2 id="api-keys-title">API keys</h2>
        {done && (
          <p className="notice notice-ok" role="status">
            {done}
          </p>
        )}
        {keys.error ? (
          <ErrorNotice error={keys.error} title="API keys" />
        ) : !keys.data ? (
          <Loading label="Loading API keys…" />
        ) : keys.data.length === 0 ? (
          <p className="muted">No API keys yet.</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Scopes</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {keys.data.map((key) => {
                const state = status(key)
                return (
                  <tr key={key.id}>
                    <th scope="row">{key.name}</th>
                    <td>{key.scopes.join(', ')}</td>
                    <td>
                      <span className={state.className}>{state.text}</span>
                    </td>
                    <td title={dateTime(key.createdAt)}>
                      {fromNow(key.createdAt)} by {creator(key)}
                    </td>
                    <td title={dateTime(key.lastUsedAt)}>
                      {key.lastUsedAt ? fromNow(key.lastUsedAt) : 'never'}
                    </td>
                    <td title={dateTime(key.expiresAt)}>
                      {key.expiresAt ? fromNow(key.expiresAt) : 'never'}
                    </td>
                    <td>
                      {!key.revokedAt && (
                        <ConfirmAction
                          label="Revoke"
                          accessibleName={`Revoke API key ${key.name}`}
                          title={`Revoke API key ${key.name}?`}
                          confirmLabel="Revoke key"
                          description={
                            <p>
                              Requests made with it fail from now on: on this server at once, on every other
                              within 5 seconds. This cannot be undone.
                            </p>
                          }
                          onConfirm={async () => {
                            await revokeApiKey(key.id)
                            await client.invalidateQueries({ queryKey: API_KEYS_KEY })
                            setDone(`Revoked API key ${key.name}.`)
                          }}
                        />
                      )}
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        )}
      </section>
    </>
  )
}
