import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useId, useState } from 'react'
import { deleteProvider, listProviders, type Provider, putProvider } from '../../api/auth.ts'
import { ConfirmAction } from '../../ui/ConfirmDialog.tsx'
import { CopyButton } from '../../ui/CopyButton.tsx'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { dateTime, fromNow } from '../../ui/format.ts'
import { Loading } from '../../ui/Loading.tsx'
import { SelectField } from '../../ui/SelectField.tsx'
import {
  formForPreset,
  formForProvider,
  formProblems,
  issuerFor,
  PRESETS,
  type PresetId,
  type ProviderForm,
  presetById,
  providerInput,
} from './provider-presets.ts'

const CALLBACK_URL = `${window.location.origin}/auth/v1/callback`

function TextField({
  label,
  value,
  onChange,
  problem,
  hint,
  type = 'text',
  readOnly,
  autoComplete,
}: {
  label: string
  value: string
  onChange?: (value: string) => void
  problem?: string | undefined
  hint?: string
  type?: 'text' | 'url' | 'password'
  readOnly?: boolean
  autoComplete?: string
}) {
  const id = useId()
  const note = problem ?? hint
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type={type}
        value={value}
        readOnly={readOnly}
        spellCheck={false}
        autoComplete={autoComplete ?? 'off'}
        aria-invalid={problem ? true : undefined}
        aria-describedby={note ? `${id}-note` : undefined}
        onChange={(event) => onChange?.(event.target.value)}
      />
      {note && (
        <span
          id={`${id}-note`}
          className={problem ? 'field-error text-small field-note' : 'muted text-small field-note'}
        >
          {note}
        </span>
      )}
    </div>
  )
}

/** The form to add a provider from a preset, or to change one (its secret typed again). */
function ProviderEditor({ editing, onDone }: { editing: Provider | null; onDone: (name: string) => void }) {
  const client = useQueryClient()
  const [form, setForm] = useState<ProviderForm>(() =>
    editing ? formForProvider(editing) : formForPreset('google'),
  )
  const [touched, setTouched] = useState(false)
  const save = useMutation({
    mutationFn: () => putProvider(form.name, providerInput(form)),
    onSuccess: async (saved) => {
      await client.invalidateQueries({ queryKey: ['auth', 'providers'] })
      onDone(saved.name)
    },
  })
  const preset = presetById(form.preset)
  const problems = touched ? formProblems(form) : {}
  const set = (change: Partial<ProviderForm>) => setForm((current) => ({ ...current, ...change }))
  const submit = (event: FormEvent) => {
    event.preventDefault()
    setTouched(true)
    if (Object.keys(formProblems(form)).length === 0) save.mutate()
  }
  return (
    <form
      className="panel provider-editor"
      onSubmit={submit}
      aria-labelledby="provider-editor-title"
      noValidate
    >
      <h2 id="provider-editor-title">
        {editing ? `Edit provider ${editing.name}` : 'Add a sign-in provider'}
      </h2>
      {!editing && (
        <SelectField
          label="Provider"
          value={form.preset}
          onChange={(event) => {
            setTouched(false)
            setForm(formForPreset(event.target.value as PresetId))
          }}
        >
          {PRESETS.map((option) => (
            <option key={option.id} value={option.id}>
              {option.label}
            </option>
          ))}
        </SelectField>
      )}
      <p className="muted">
        Register this redirect URI with the provider: <code>{CALLBACK_URL}</code>{' '}
        <CopyButton text={CALLBACK_URL} label="Copy redirect URI" />
        {preset.consoleUrl && (
          <>
            {' '}
            ·{' '}
            <a href={preset.consoleUrl} target="_blank" rel="noopener noreferrer">
              {preset.label} developer console
            </a>
          </>
        )}
      </p>
      <div className="form-grid">
        <TextField
          label="Name"
          value={form.name}
          readOnly={!!editing}
          problem={problems.name}
          hint="Apps sign in with /auth/v1/authorize?provider=<name>"
          onChange={(name) => set({ name })}
        />
        <SelectField
          label="Protocol"
          value={form.type}
          disabled={preset.id !== 'oidc' && preset.id !== 'oauth2'}
          onChange={(event) => set({ type: event.target.value === 'oauth2' ? 'oauth2' : 'oidc' })}
        >
          <option value="oidc">OpenID Connect (discovered from the issuer)</option>
          <option value="oauth2">OAuth 2.0 (three URLs)</option>
        </SelectField>
        {preset.needsTenant && (
          <TextField
            label="Directory (tenant) ID"
            value={form.tenant}
            problem={problems.tenant}
            hint="From the app registration's overview; the issuer names it"
            onChange={(tenant) => set({ tenant, issuer: issuerFor(preset, tenant) })}
          />
        )}
        {form.type === 'oidc' ? (
          <TextField
            label="Issuer"
            type="url"
            value={form.issuer}
            readOnly={preset.needsTenant}
            problem={problems.issuer}
            hint="Endpoints are read from <issuer>/.well-known/openid-configuration"
            onChange={(issuer) => set({ issuer })}
          />
        ) : (
          <>
            <TextField
              label="Authorization URL"
              type="url"
              value={form.authorizationUrl}
              problem={problems.authorizationUrl}
              onChange={(authorizationUrl) => set({ authorizationUrl })}
            />
            <TextField
              label="Token URL"
              type="url"
              value={form.tokenUrl}
              problem={problems.tokenUrl}
              onChange={(tokenUrl) => set({ tokenUrl })}
            />
            <TextField
              label="Userinfo URL"
              type="url"
              value={form.userinfoUrl}
              problem={problems.userinfoUrl}
              onChange={(userinfoUrl) => set({ userinfoUrl })}
            />
          </>
        )}
        <TextField
          label="Client ID"
          value={form.clientId}
          problem={problems.clientId}
          onChange={(clientId) => set({ clientId })}
        />
        <TextField
          label="Client secret"
          type="password"
          autoComplete="new-password"
          value={form.clientSecret}
          problem={problems.clientSecret}
          hint={
            editing
              ? 'Stored encrypted and never shown: type it again to save changes'
              : 'Stored encrypted and never shown again'
          }
          onChange={(clientSecret) => set({ clientSecret })}
        />
        <TextField
          label="Scopes"
          value={form.scopes}
          hint="Space-separated"
          onChange={(scopes) => set({ scopes })}
        />
      </div>
      <ErrorNotice error={save.error} title="Not saved" />
      <div className="form-actions">
        <button type="submit" className="primary" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : editing ? 'Save provider' : 'Add provider'}
        </button>
        <button type="button" onClick={() => onDone('')}>
          Cancel
        </button>
      </div>
    </form>
  )
}

/** Sign-in providers: owners add and change them (client secrets); everyone else reads. */
export function ProvidersTab({ isOwner }: { isOwner: boolean }) {
  const client = useQueryClient()
  const providers = useQuery({
    queryKey: ['auth', 'providers'],
    queryFn: ({ signal }) => listProviders(signal),
  })
  const [editing, setEditing] = useState<Provider | 'new' | null>(null)
  const [done, setDone] = useState<string | null>(null)

  return (
    <>
      {!isOwner && (
        <p className="notice notice-info" role="note">
          Only owners can add or change sign-in providers: they hold client secrets.
        </p>
      )}
      {done && (
        <p className="notice notice-ok" role="status">
          {done}
        </p>
      )}
      {editing && (
        <ProviderEditor
          key={editing === 'new' ? 'new' : editing.name}
          editing={editing === 'new' ? null : editing}
          onDone={(name) => {
            setEditing(null)
            setDone(name ? `Saved provider ${name}.` : null)
          }}
        />
      )}
      <section className="panel" aria-labelledby="providers-title">
        <div className="panel-head">
          <h2 id="providers-title">Sign-in providers</h2>
          {isOwner && !editing && (
            <button
              type="button"
              className="primary"
              onClick={() => {
                setDone(null)
                setEditing('new')
              }}
            >
              Add provider
            </button>
          )}
        </div>
        {providers.error ? (
          <ErrorNotice error={providers.error} title="Providers" />
        ) : !providers.data ? (
          <Loading label="Loading providers…" />
        ) : providers.data.length === 0 ? (
          <p className="muted">No provider yet: users sign in with email and password, or anonymously.</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Protocol</th>
                <th scope="col">Issuer or authorization URL</th>
                <th scope="col">Client ID</th>
                <th scope="col">Scopes</th>
                <th scope="col">Updated</th>
                {isOwner && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {providers.data.map((provider) => (
                <tr key={provider.name}>
                  <td>
                    <strong>{provider.name}</strong>
                    {provider.preset && <span className="badge">{provider.preset}</span>}
                  </td>
                  <td>{provider.type === 'oidc' ? 'OpenID Connect' : 'OAuth 2.0'}</td>
                  <td className="mono text-small">{provider.issuer ?? provider.authorizationUrl}</td>
                  <td className="mono text-small">{provider.clientId}</td>
                  <td className="mono text-small">{provider.scopes.join(' ')}</td>
                  <td title={dateTime(provider.updatedAt)}>{fromNow(provider.updatedAt)}</td>
                  {isOwner && (
                    <td>
                      <div className="inline-actions">
                        <button
                          type="button"
                          aria-label={`Edit provider ${provider.name}`}
                          onClick={() => {
                            setDone(null)
                            setEditing(provider)
                          }}
                        >
                          Edit
                        </button>
                        <ConfirmAction
                          label="Remove"
                          accessibleName={`Remove provider ${provider.name}`}
                          title={`Remove provider ${provider.name}?`}
                          confirmLabel="Remove provider"
                          description={
                            <p>
                              Sign-in with {provider.name} stops at once. Linked identities stay on their
                              users, and adding the provider again under this name brings them back.
                            </p>
                          }
                          onConfirm={async () => {
                            await deleteProvider(provider.name)
                            await client.invalidateQueries({ queryKey: ['auth', 'providers'] })
                            setDone(`Removed provider ${provider.name}.`)
                          }}
                        />
                      </div>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  )
}
