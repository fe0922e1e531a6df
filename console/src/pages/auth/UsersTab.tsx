import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { Link, useNavigate } from '@tanstack/react-router'
import { type FormEvent, useEffect, useState } from 'react'
import { createUser, listUsers, type UserFilters } from '../../api/auth.ts'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { dateTime, fromNow } from '../../ui/format.ts'
import { Loading } from '../../ui/Loading.tsx'
import { NewCredentialFields } from '../../ui/NewCredentialFields.tsx'
import { SelectField } from '../../ui/SelectField.tsx'
import type { AuthSearch } from './search.ts'

const PAGE_SIZE = 50

const asBool = (value: 'yes' | 'no' | undefined) => (value === undefined ? undefined : value === 'yes')

export function filtersOf(search: AuthSearch): UserFilters {
  const filters: UserFilters = {}
  if (search.email) filters.email = search.email.trim()
  const anonymous = asBool(search.anonymous)
  if (anonymous !== undefined) filters.anonymous = anonymous
  const disabled = asBool(search.disabled)
  if (disabled !== undefined) filters.disabled = disabled
  return filters
}

function CreateUser({ onClose }: { onClose: () => void }) {
  const client = useQueryClient()
  const navigate = useNavigate()
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [verified, setVerified] = useState(true)
  const create = useMutation({
    mutationFn: () => createUser({ email, password, emailVerified: verified }),
    onSuccess: async (user) => {
      await client.invalidateQueries({ queryKey: ['auth', 'users'] })
      await navigate({ to: '/auth/users/$id', params: { id: user.id } })
    },
  })
  const submit = (event: FormEvent) => {
    event.preventDefault()
    create.mutate()
  }
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="create-user-title">
      <h2 id="create-user-title">New user</h2>
      <div className="field-row">
        <NewCredentialFields email={email} password={password} onEmail={setEmail} onPassword={setPassword} />
        <label className="check-field field">
          <input type="checkbox" checked={verified} onChange={(event) => setVerified(event.target.checked)} />
          Email verified
        </label>
      </div>
      <ErrorNotice error={create.error} title="Not created" />
      <div className="form-actions">
        <button type="submit" className="primary" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create user'}
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  )
}

/** Users with search by email, anonymous/disabled filters and cursor paging; and adding one. */
export function UsersTab({ search, canWrite }: { search: AuthSearch; canWrite: boolean }) {
  const navigate = useNavigate({ from: '/auth' })
  const filters = filtersOf(search)
  const filterKey = JSON.stringify(filters)
  const [email, setEmail] = useState(search.email ?? '')
  const [creating, setCreating] = useState(false)
  // Cursors of the pages seen so far: the last is the page shown (null: the first page).
  const [cursors, setCursors] = useState<(string | null)[]>([null])
  // biome-ignore lint/correctness/useExhaustiveDependencies: new filters start again at the first page.
  useEffect(() => setCursors([null]), [filterKey])

  // The search box updates the URL (and so the query) once typing pauses.
  useEffect(() => {
    if (email === (search.email ?? '')) return
    const timer = setTimeout(
      () =>
        void navigate({ search: (previous) => ({ ...previous, email: email || undefined }), replace: true }),
      300,
    )
    return () => clearTimeout(timer)
  }, [email, search.email, navigate])

  const cursor = cursors[cursors.length - 1] ?? null
  const users = useQuery({
    queryKey: ['auth', 'users', filterKey, cursor],
    queryFn: ({ signal }) => listUsers({ ...filters, limit: PAGE_SIZE, cursor }, signal),
    placeholderData: keepPreviousData,
  })
  const setFilter = (name: 'anonymous' | 'disabled', value: string) =>
    void navigate({
      search: (previous) => ({ ...previous, [name]: value === 'yes' || value === 'no' ? value : undefined }),
    })

  return (
    <>
      {creating && <CreateUser onClose={() => setCreating(false)} />}
      <section className="panel" aria-labelledby="users-title">
        <div className="panel-head">
          <h2 id="users-title">Users</h2>
          {canWrite && !creating && (
            <button type="button" className="primary" onClick={() => setCreating(true)}>
              New user
            </button>
          )}
        </div>
        <search className="user-filters" aria-label="Filter users">
          <label className="field">
            <span>Search by email</span>
            <input
              type="search"
              value={email}
              placeholder="part of an address"
              onChange={(event) => setEmail(event.target.value)}
            />
          </label>
          <SelectField
            label="Anonymous"
            value={search.anonymous ?? ''}
            onChange={(event) => setFilter('anonymous', event.target.value)}
          >
            <option value="">any</option>
            <option value="yes">anonymous only</option>
            <option value="no">with an account</option>
          </SelectField>
          <SelectField
            label="Status"
            value={search.disabled ?? ''}
            onChange={(event) => setFilter('disabled', event.target.value)}
          >
            <option value="">any</option>
            <option value="no">enabled</option>
            <option value="yes">disabled</option>
          </SelectField>
        </search>
        {users.error ? (
          <ErrorNotice error={users.error} title="Users" />
        ) : !users.data ? (
          <Loading label="Loading users…" />
        ) : (
          <>
            <table className="table" aria-busy={users.isFetching}>
              <caption className="visually-hidden">Users, page {cursors.length}</caption>
              <thead>
                <tr>
                  <th scope="col">User</th>
                  <th scope="col">Status</th>
                  <th scope="col">Sign-in methods</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last sign-in</th>
                </tr>
              </thead>
              <tbody>
                {users.data.users.map((user) => (
                  <tr key={user.id}>
                    <td>
                      <Link to="/auth/users/$id" params={{ id: user.id }}>
                        {user.email ?? 'Anonymous user'}
                      </Link>
                      <div className="muted mono text-small">{user.id}</div>
                    </td>
                    <td>
                      {user.disabled ? (
                        <span className="badge badge-down">disabled</span>
                      ) : (
                        <span className="badge badge-ok">enabled</span>
                      )}{' '}
                      {user.anonymous && <span className="badge">anonymous</span>}{' '}
                      {user.factors.some((factor) => factor.status === 'verified') && (
                        <span className="badge">MFA</span>
                      )}
                    </td>
                    <td>
                      {[
                        ...(user.email && !user.anonymous ? ['email'] : []),
                        ...user.identities.map((identity) => identity.provider),
                      ].join(', ') || '—'}
                    </td>
                    <td title={dateTime(user.createdAt)}>{fromNow(user.createdAt)}</td>
                    <td title={dateTime(user.lastSignInAt)}>{fromNow(user.lastSignInAt)}</td>
                  </tr>
                ))}
                {users.data.users.length === 0 && (
                  <tr>
                    <td colSpan={5} className="muted">
                      No user matches.
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
            <nav className="pager" aria-label="Users pages">
              <button
                type="button"
                disabled={cursors.length === 1}
                onClick={() => setCursors((list) => list.slice(0, -1))}
              >
                Previous page
              </button>
              <span className="muted">Page {cursors.length}</span>
              <button
                type="button"
                disabled={!users.data.nextCursor}
                onClick={() => {
                  const next = users.data?.nextCursor
                  if (next) setCursors((list) => [...list, next])
                }}
              >
                Next page
              </button>
            </nav>
          </>
        )}
      </section>
    </>
  )
}
