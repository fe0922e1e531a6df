import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { type AuthSettings, getAuthSettings, putAuthSettings } from '../../api/auth.ts'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { Loading } from '../../ui/Loading.tsx'

/** One URL or glob per line, blank lines and duplicates dropped. */
export function redirectUrlsOf(text: string): string[] {
  return [
    ...new Set(
      text
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean),
    ),
  ]
}

function SettingsForm({ settings, canWrite }: { settings: AuthSettings; canWrite: boolean }) {
  const client = useQueryClient()
  const [text, setText] = useState(settings.redirectUrls.join('\n'))
  const save = useMutation({
    mutationFn: () => putAuthSettings({ redirectUrls: redirectUrlsOf(text) }),
    onSuccess: (saved) => {
      client.setQueryData(['auth', 'settings'], saved)
      setText(saved.redirectUrls.join('\n'))
    },
  })
  const submit = (event: FormEvent) => {
    event.preventDefault()
    save.mutate()
  }
  const count = redirectUrlsOf(text).length
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="auth-settings-title">
      <h2 id="auth-settings-title">Redirect URLs</h2>
      <p className="muted">
        Where an OAuth sign-in may send the user back (<code>redirect_to</code>): exact URLs or globs,{' '}
        <code>*</code> within a host label or path segment, <code>**</code> any path. These add to{' '}
        <code>AUTH_REDIRECT_URLS</code> from the server's environment, which this page does not show.
      </p>
      {!canWrite && (
        <p className="notice notice-info" role="note">
          Viewers can read the allow-list; changing it takes a developer or an owner.
        </p>
      )}
      <label className="field">
        <span>Allowed redirect URLs, one per line ({count})</span>
        <textarea
          rows={Math.min(14, Math.max(4, count + 2))}
          value={text}
          readOnly={!canWrite}
          spellCheck={false}
          placeholder={'https://app.example.com/auth/callback\nhttps://*.example.com/**'}
          onChange={(event) => {
            save.reset()
            setText(event.target.value)
          }}
        />
      </label>
      <ErrorNotice error={save.error} title="Not saved" />
      {save.isSuccess && (
        <p className="notice notice-ok" role="status">
          Saved {save.data.redirectUrls.length} redirect URLs.
        </p>
      )}
      {canWrite && (
        <button type="submit" className="primary" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : 'Save redirect URLs'}
        </button>
      )}
    </form>
  )
}

/** Auth settings stored in the database (today: the OAuth redirect allow-list). */
export function AuthSettingsTab({ canWrite }: { canWrite: boolean }) {
  const settings = useQuery({
    queryKey: ['auth', 'settings'],
    queryFn: ({ signal }) => getAuthSettings(signal),
  })
  if (settings.error) return <ErrorNotice error={settings.error} title="Auth settings" />
  if (!settings.data) return <Loading label="Loading auth settings…" />
  return <SettingsForm settings={settings.data} canWrite={canWrite} />
}
