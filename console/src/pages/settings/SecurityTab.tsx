import { useMutation, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { enrollTotp, removeTotp, type TotpEnrollment, updateAdmin, verifyTotp } from '../../api/admins.ts'
import type { Admin } from '../../api/session.ts'
import { SESSION_KEY } from '../../app/session.tsx'
import { ConfirmAction } from '../../ui/ConfirmDialog.tsx'
import { CopyButton } from '../../ui/CopyButton.tsx'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { dateTime } from '../../ui/format.ts'

// The server lists no admin's own factors; the id of one enrolled in this browser is kept to remove it.
const factorKey = (adminId: string) => `stratus.console.totp.${adminId}`

/** A base32 secret in groups of four, easier to type. */
export function groupSecret(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ')
}

function Enrol({ admin, onDone }: { admin: Admin; onDone: (text: string) => void }) {
  const client = useQueryClient()
  const [enrollment, setEnrollment] = useState<TotpEnrollment | null>(null)
  const [code, setCode] = useState('')
  const start = useMutation({ mutationFn: enrollTotp, onSuccess: setEnrollment })
  const verify = useMutation({
    mutationFn: () => verifyTotp(enrollment?.id ?? '', code.replace(/\s/g, '')),
    onSuccess: async (factor) => {
      localStorage.setItem(factorKey(admin.id), factor.id)
      setEnrollment(null)
      setCode('')
      await client.invalidateQueries({ queryKey: SESSION_KEY })
      onDone('TOTP is on: signing in now asks for a code from your authenticator.')
    },
  })
  const submit = (event: FormEvent) => {
    event.preventDefault()
    verify.mutate()
  }
  if (!enrollment) {
    return (
      <>
        <p>Add a second step to your sign-in: a 6-digit code from an authenticator app (RFC 6238 TOTP).</p>
        <button type="button" className="primary" onClick={() => start.mutate()} disabled={start.isPending}>
          {start.isPending ? 'Starting…' : 'Turn on TOTP'}
        </button>
        <ErrorNotice error={start.error} title="Not started" />
      </>
    )
  }
  return (
    <form onSubmit={submit} className="totp-enrol" aria-label="TOTP enrolment">
      <ol>
        <li>
          Add this account to your authenticator app: open the <code>otpauth:</code> link on a device that has
          one, or type the secret. They are shown this once.
          <dl className="detail-list">
            <dt>Secret</dt>
            <dd>
              <code className="secret" data-testid="totp-secret">
                {groupSecret(enrollment.secret)}
              </code>{' '}
              <CopyButton text={enrollment.secret} label="Copy secret" />
            </dd>
            <dt>URI</dt>
            <dd>
              <a href={enrollment.uri} className="mono" data-testid="totp-uri">
                {enrollment.uri}
              </a>{' '}
              <CopyButton text={enrollment.uri} label="Copy URI" />
            </dd>
          </dl>
        </li>
        <li>
          <label className="field">
            <span>Code from the app</span>
            <input
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9 ]{6,8}"
              required
              value={code}
              onChange={(event) => setCode(event.target.value)}
            />
          </label>
        </li>
      </ol>
      <ErrorNotice error={verify.error} title="Not verified" />
      <div className="form-actions">
        <button type="submit" className="primary" disabled={verify.isPending}>
          {verify.isPending ? 'Checking…' : 'Verify and turn on'}
        </button>
        <button
          type="button"
          onClick={() => {
            setEnrollment(null)
            setCode('')
          }}
        >
          Cancel
        </button>
      </div>
    </form>
  )
}

function TurnOff({ admin, onDone }: { admin: Admin; onDone: (text: string) => void }) {
  const client = useQueryClient()
  const factorId = localStorage.getItem(factorKey(admin.id))
  // An owner can reset anyone's TOTP, its own included; other roles remove the factor they enrolled here.
  if (!factorId && admin.role !== 'owner') {
    return (
      <p className="muted">
        TOTP was turned on from another browser: to turn it off, ask an owner to reset it (Settings › Admins).
      </p>
    )
  }
  return (
    <ConfirmAction
      label="Turn off TOTP"
      title="Turn off TOTP?"
      confirmLabel="Turn off"
      description={<p>Signing in will take your password alone.</p>}
      onConfirm={async () => {
        if (factorId) await removeTotp(factorId)
        else await updateAdmin(admin.id, { mfa: false })
        localStorage.removeItem(factorKey(admin.id))
        await client.invalidateQueries({ queryKey: SESSION_KEY })
        onDone('TOTP is off.')
      }}
    />
  )
}

/** The signed-in admin's own account and TOTP. */
export function SecurityTab({ admin }: { admin: Admin }) {
  const [done, setDone] = useState<string | null>(null)
  return (
    <section className="panel" aria-labelledby="security-title">
      <h2 id="security-title">Your account</h2>
      <dl className="detail-list">
        <dt>Email</dt>
        <dd>{admin.email}</dd>
        <dt>Role</dt>
        <dd>{admin.role}</dd>
        <dt>Last sign-in</dt>
        <dd>{dateTime(admin.lastSignInAt)}</dd>
        <dt>TOTP</dt>
        <dd>{admin.mfa ? <span className="badge badge-ok">on</span> : <span className="badge">off</span>}</dd>
      </dl>
      {done && (
        <p className="notice notice-ok" role="status">
          {done}
        </p>
      )}
      <h3>Two-step sign-in</h3>
      {admin.mfa ? <TurnOff admin={admin} onDone={setDone} /> : <Enrol admin={admin} onDone={setDone} />}
    </section>
  )
}
