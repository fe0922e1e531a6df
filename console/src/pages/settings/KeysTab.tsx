import { useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { rotateServiceKey, rotateSigningKey, serviceKey } from '../../api/admins.ts'
import type { AdminRole } from '../../api/session.ts'
import { ConfirmAction } from '../../ui/ConfirmDialog.tsx'
import { CopyButton } from '../../ui/CopyButton.tsx'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { Loading } from '../../ui/Loading.tsx'

const KEY = ['keys', 'service'] as const

/**
 * The service key, fetched only when the owner asks to see it, and hidden again on request; and its
 * rotation, which revokes every older service key.
 */
function ServiceKey() {
  const client = useQueryClient()
  const [shown, setShown] = useState(false)
  const [rotated, setRotated] = useState(false)
  const key = useQuery({
    queryKey: KEY,
    queryFn: ({ signal }) => serviceKey(signal),
    enabled: shown,
    staleTime: 0,
    gcTime: 0,
  })
  return (
    <section className="panel" aria-labelledby="service-key-title">
      <h2 id="service-key-title">Service key</h2>
      <p className="muted">
        Full access to this project, above every rule: for servers, CI and the CLI (<code>--key</code>, or{' '}
        <code>STRATUS_SERVICE_KEY</code>). Never put it in an app; prefer scoped API keys where they will do.
      </p>
      {rotated && (
        <p className="notice notice-ok" role="status">
          The service key was replaced; the old one no longer works. Reveal the new one and update the
          servers, CI jobs and command lines that use it.
        </p>
      )}
      {!shown ? (
        <button type="button" onClick={() => setShown(true)}>
          Reveal service key
        </button>
      ) : key.error ? (
        <ErrorNotice error={key.error} title="Service key" />
      ) : !key.data ? (
        <Loading label="Loading the service key…" />
      ) : (
        <div className="secret-row">
          <label className="field">
            <span>Service key (a JWT with role "service")</span>
            <textarea
              readOnly
              rows={3}
              className="mono"
              value={key.data.service}
              onFocus={(event) => event.target.select()}
            />
          </label>
          <div className="form-actions">
            <CopyButton text={key.data.service} label="Copy service key" />
            <button
              type="button"
              onClick={() => {
                setShown(false)
                client.removeQueries({ queryKey: KEY })
              }}
            >
              Hide
            </button>
          </div>
        </div>
      )}
      <div className="form-actions">
        <ConfirmAction
          label="Rotate service key"
          title="Rotate the service key?"
          confirmLabel="Rotate service key"
          description={
            <p>
              A new service key is issued and every other one stops working: on this server at once, on every
              other within 5 seconds. Whatever uses the old one fails until it gets the new one.
            </p>
          }
          onConfirm={async () => {
            await rotateServiceKey()
            setShown(false)
            client.removeQueries({ queryKey: KEY })
            setRotated(true)
          }}
        />
      </div>
    </section>
  )
}

function Rotation() {
  const client = useQueryClient()
  const [rotated, setRotated] = useState<string | null>(null)
  return (
    <section className="panel" aria-labelledby="rotate-title">
      <h2 id="rotate-title">Signing keys</h2>
      <p className="muted">
        Rotating adds a signing key that signs every token from now on. Tokens signed before keep verifying
        (the old key stays in the JWKS), and the service key is re-issued with the new key (the old service
        key keeps working until the service key is rotated).
      </p>
      {rotated && (
        <p className="notice notice-ok" role="status">
          New signing key <code>{rotated}</code> signs from now on. The service key was re-issued: reveal it
          and update the servers that use it.
        </p>
      )}
      <ConfirmAction
        label="Rotate signing key"
        title="Rotate the signing key?"
        confirmLabel="Rotate"
        description={
          <p>
            New tokens, and a new service key, are signed with a new key. Nothing signed before stops working.
          </p>
        }
        onConfirm={async () => {
          const result = await rotateSigningKey()
          client.removeQueries({ queryKey: KEY })
          setRotated(result.kid)
        }}
      />
    </section>
  )
}

/** Keys are the owner's: the service key (revealed on request, rotated) and signing-key rotation. */
export function KeysTab({ role }: { role: AdminRole }) {
  if (role !== 'owner') {
    return (
      <section className="panel" aria-labelledby="keys-title">
        <h2 id="keys-title">Keys</h2>
        <p className="notice notice-info" role="note">
          Owners only: the service key and signing keys are managed by owners. You are signed in as a {role}.
        </p>
      </section>
    )
  }
  return (
    <>
      <ServiceKey />
      <Rotation />
    </>
  )
}
