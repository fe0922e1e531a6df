import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { Link, useNavigate, useParams } from '@tanstack/react-router'
import { useState } from 'react'
import {
  type AppUser,
  deleteUser,
  getUser,
  resetUserFactors,
  revokeUserSessions,
  updateUser,
  userFactors,
  userSessions,
} from '../../api/auth.ts'
import { canWrite } from '../../api/session.ts'
import { useAdmin } from '../../app/session.tsx'
import { ConfirmAction } from '../../ui/ConfirmDialog.tsx'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { dateTime, fromNow } from '../../ui/format.ts'
import { Loading } from '../../ui/Loading.tsx'
import { PageHeader } from '../../ui/PageHeader.tsx'
import './auth.css'

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`

function Profile({ user }: { user: AppUser }) {
  const data = JSON.stringify(user.data, null, 2)
  return (
    <section className="panel" aria-labelledby="profile-title">
      <h2 id="profile-title">Profile</h2>
      <dl className="detail-list">
        <dt>User ID</dt>
        <dd className="mono">{user.id}</dd>
        <dt>Email</dt>
        <dd>
          {user.email ?? '—'}{' '}
          {user.email && (
            <span className={user.emailVerified ? 'badge badge-ok' : 'badge'}>
              {user.emailVerified ? 'verified' : 'not verified'}
            </span>
          )}
        </dd>
        <dt>Created</dt>
        <dd>{dateTime(user.createdAt)}</dd>
        <dt>Updated</dt>
        <dd>{dateTime(user.updatedAt)}</dd>
        <dt>Last sign-in</dt>
        <dd>
          {dateTime(user.lastSignInAt)}{' '}
          {user.lastSignInAt && <span className="muted">({fromNow(user.lastSignInAt)})</span>}
        </dd>
      </dl>
      <h3>Profile data</h3>
      {data === '{}' ? (
        <p className="muted">None.</p>
      ) : (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard.
        <section className="json-block" aria-label="Profile data" tabIndex={0}>
          <pre>{data}</pre>
        </section>
      )}
    </section>
  )
}

function Identities({ user }: { user: AppUser }) {
  return (
    <section className="panel" aria-labelledby="identities-title">
      <h2 id="identities-title">Identities</h2>
      {user.identities.length === 0 ? (
        <p className="muted">No linked OAuth/OIDC account.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Provider</th>
              <th scope="col">Email at the provider</th>
              <th scope="col">Linked</th>
              <th scope="col">Last sign-in</th>
            </tr>
          </thead>
          <tbody>
            {user.identities.map((identity) => (
              <tr key={identity.id}>
                <td>{identity.provider}</td>
                <td>{identity.email ?? '—'}</td>
                <td>{dateTime(identity.createdAt)}</td>
                <td>{dateTime(identity.lastSignInAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

function Factors({
  id,
  writable,
  onDone,
}: {
  id: string
  writable: boolean
  onDone: (text: string) => void
}) {
  const client = useQueryClient()
  const factors = useQuery({
    queryKey: ['auth', 'user', id, 'factors'],
    queryFn: ({ signal }) => userFactors(id, signal),
  })
  return (
    <section className="panel" aria-labelledby="factors-title">
      <div className="panel-head">
        <h2 id="factors-title">MFA factors</h2>
        {writable && factors.data && factors.data.length > 0 && (
          <ConfirmAction
            label="Reset MFA"
            title="Reset this user's MFA?"
            confirmLabel="Remove all factors"
            description={
              <p>
                Every factor and recovery code is removed: the password alone signs in again, and the user can
                enrol a new authenticator. Sessions stay as they are: revoke them too if a device was lost.
              </p>
            }
            onConfirm={async () => {
              const removed = await resetUserFactors(id)
              await client.invalidateQueries({ queryKey: ['auth', 'user', id] })
              onDone(`MFA reset: ${plural(removed, 'factor', 'factors')} and the recovery codes removed.`)
            }}
          />
        )}
      </div>
      {factors.error ? (
        <ErrorNotice error={factors.error} title="Factors" />
      ) : !factors.data ? (
        <Loading label="Loading factors…" />
      ) : factors.data.length === 0 ? (
        <p className="muted">No factor: this user signs in with a password (or a provider) alone.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Factor</th>
              <th scope="col">Type</th>
              <th scope="col">Status</th>
              <th scope="col">Added</th>
            </tr>
          </thead>
          <tbody>
            {factors.data.map((factor) => (
              <tr key={factor.id}>
                <td className="mono">{factor.id}</td>
                <td>{factor.type.toUpperCase()}</td>
                <td>
                  <span className={factor.status === 'verified' ? 'badge badge-ok' : 'badge'}>
                    {factor.status}
                  </span>
                </td>
                <td>{dateTime(factor.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

function Sessions({
  id,
  writable,
  onDone,
}: {
  id: string
  writable: boolean
  onDone: (text: string) => void
}) {
  const client = useQueryClient()
  const sessions = useQuery({
    queryKey: ['auth', 'user', id, 'sessions'],
    queryFn: ({ signal }) => userSessions(id, signal),
  })
  return (
    <section className="panel wide" aria-labelledby="sessions-title">
      <div className="panel-head">
        <h2 id="sessions-title">Sessions</h2>
        {writable && sessions.data && sessions.data.length > 0 && (
          <ConfirmAction
            label="Revoke all sessions"
            title="Sign this user out everywhere?"
            confirmLabel="Revoke sessions"
            description={
              <p>
                Every refresh token stops working at once. Access tokens already issued stay valid until they
                expire (at most the access-token lifetime).
              </p>
            }
            onConfirm={async () => {
              const revoked = await revokeUserSessions(id)
              await client.invalidateQueries({ queryKey: ['auth', 'user', id, 'sessions'] })
              onDone(`${plural(revoked, 'session', 'sessions')} revoked: the user is signed out everywhere.`)
            }}
          />
        )}
      </div>
      {sessions.error ? (
        <ErrorNotice error={sessions.error} title="Sessions" />
      ) : !sessions.data ? (
        <Loading label="Loading sessions…" />
      ) : sessions.data.length === 0 ? (
        <p className="muted">No live session.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Session</th>
              <th scope="col">Started</th>
              <th scope="col">Last refreshed</th>
              <th scope="col">Assurance</th>
              <th scope="col">Ends unless refreshed</th>
            </tr>
          </thead>
          <tbody>
            {sessions.data.map((session) => (
              <tr key={session.id}>
                <td className="mono">{session.id}</td>
                <td title={dateTime(session.createdAt)}>{fromNow(session.createdAt)}</td>
                <td>{session.refreshedAt ? fromNow(session.refreshedAt) : 'never'}</td>
                <td>{session.aal === 'aal2' ? 'MFA (aal2)' : 'password (aal1)'}</td>
                <td>{dateTime(session.expiresAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

/** A user: profile, identities, MFA factors and sessions, and what an admin can do about them. */
export function UserPage() {
  const { id } = useParams({ from: '/auth/users/$id' })
  const admin = useAdmin()
  const writable = canWrite(admin)
  const client = useQueryClient()
  const navigate = useNavigate()
  const [done, setDone] = useState<string | null>(null)
  const user = useQuery({ queryKey: ['auth', 'user', id], queryFn: ({ signal }) => getUser(id, signal) })
  const toggle = useMutation({
    mutationFn: (disabled: boolean) => updateUser(id, { disabled }),
    onSuccess: async (saved) => {
      client.setQueryData(['auth', 'user', id], saved)
      await client.invalidateQueries({ queryKey: ['auth', 'users'] })
      await client.invalidateQueries({ queryKey: ['auth', 'user', id, 'sessions'] })
      setDone(
        saved.disabled ? 'User disabled: their sessions ended and sign-in is refused.' : 'User enabled.',
      )
    },
  })
  const title = user.data ? (user.data.email ?? 'Anonymous user') : 'User'
  return (
    <>
      <PageHeader
        title={title}
        description={
          <>
            <Link to="/auth">Auth</Link> › user{' '}
            {user.data?.disabled && <span className="badge badge-down">disabled</span>}{' '}
            {user.data?.anonymous && <span className="badge">anonymous</span>}
          </>
        }
        actions={
          writable && user.data ? (
            <>
              {user.data.disabled ? (
                <button type="button" onClick={() => toggle.mutate(false)} disabled={toggle.isPending}>
                  Enable user
                </button>
              ) : (
                <ConfirmAction
                  label="Disable user"
                  title="Disable this user?"
                  confirmLabel="Disable"
                  description={
                    <p>
                      Their sessions end now, and sign-in and token refresh are refused until enabled again.
                    </p>
                  }
                  onConfirm={() => toggle.mutateAsync(true)}
                />
              )}
              <ConfirmAction
                label="Delete user"
                title="Delete this user?"
                typed={user.data.email ?? user.data.id}
                description={
                  <p>
                    The account, its identities, factors and sessions go for good (emits auth.user.deleted).
                  </p>
                }
                onConfirm={async () => {
                  await deleteUser(id)
                  client.removeQueries({ queryKey: ['auth', 'user', id] })
                  await client.invalidateQueries({ queryKey: ['auth', 'users'] })
                  await navigate({ to: '/auth' })
                }}
              />
            </>
          ) : undefined
        }
      />
      {!writable && (
        <p className="notice notice-info" role="note">
          You are a viewer: disabling, deleting, revoking sessions and resetting MFA take a developer or an
          owner.
        </p>
      )}
      {done && (
        <p className="notice notice-ok" role="status">
          {done}
        </p>
      )}
      <ErrorNotice error={toggle.error} title="Not changed" />
      {user.error ? (
        <ErrorNotice error={user.error} title="User" />
      ) : !user.data ? (
        <Loading label="Loading user…" />
      ) : (
        <div className="user-grid">
          <Profile user={user.data} />
          <Identities user={user.data} />
          <Factors id={id} writable={writable} onDone={setDone} />
          <Sessions id={id} writable={writable} onDone={setDone} />
        </div>
      )}
    </>
  )
}
