import { useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { ApiError } from '../api/http.ts'
import { signIn } from '../api/session.ts'
import { ErrorNotice } from '../ui/ErrorNotice.tsx'
import { SESSION_KEY } from './session.tsx'

/** Email + password, then a TOTP code when the server says the admin enrolled one. */
export function SignInPage() {
  const client = useQueryClient()
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [code, setCode] = useState('')
  const [needsCode, setNeedsCode] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)

  async function submit(event: FormEvent) {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await signIn({ email, password, ...(needsCode && code ? { code } : {}) })
      await client.invalidateQueries()
      await client.refetchQueries({ queryKey: SESSION_KEY })
    } catch (caught) {
      if (caught instanceof ApiError && caught.code === 'auth/mfa-required') {
        setNeedsCode(true)
      } else {
        setError(caught)
      }
    } finally {
      setBusy(false)
    }
  }

  return (
    <main className="sign-in">
      <form className="card sign-in-card" onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Stratus console</h1>
        <p className="muted">
          Sign in with an admin account (create one with <code>npx stratus admin create</code>).
        </p>
        <label className="field">
          <span>Email</span>
          <input
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        <label className="field">
          <span>Password</span>
          <input
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {needsCode && (
          <label className="field">
            <span>Authentication code</span>
            <input
              inputMode="numeric"
              autoComplete="one-time-code"
              required
              // biome-ignore lint/a11y/noAutofocus: the code field appears in answer to the user's submit.
              autoFocus
              value={code}
              onChange={(e) => setCode(e.target.value)}
            />
          </label>
        )}
        {needsCode && (
          <p className="muted">This account has two-factor authentication: enter the code from your app.</p>
        )}
        <ErrorNotice error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  )
}
