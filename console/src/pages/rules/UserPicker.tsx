import { useMutation } from '@tanstack/react-query'
import { type KeyboardEvent, useState } from 'react'
import { findUsers } from '../../api/rules.ts'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'

/** Finds app users by email (`GET /admin/v1/users?email=`) and picks one as the simulated caller. */
export function UserPicker({
  uid,
  email,
  onPick,
}: {
  uid: string | undefined
  email: string | undefined
  onPick: (user: { uid: string; email: string | undefined }) => void
}) {
  const [text, setText] = useState(email ?? '')
  const search = useMutation({ mutationFn: (value: string) => findUsers(value) })

  function find() {
    if (text.trim()) search.mutate(text.trim())
  }
  function onKeyDown(event: KeyboardEvent) {
    // Enter finds users here instead of submitting the simulator's form.
    if (event.key === 'Enter') {
      event.preventDefault()
      find()
    }
  }

  return (
    <div className="user-picker">
      <div className="field-row">
        <label className="field grow">
          <span>User email</span>
          <input
            type="search"
            value={text}
            onChange={(event) => setText(event.target.value)}
            onKeyDown={onKeyDown}
            autoComplete="off"
            spellCheck={false}
          />
        </label>
        <button type="button" onClick={find} disabled={search.isPending || !text.trim()}>
          {search.isPending ? 'Finding…' : 'Find user'}
        </button>
      </div>
      <ErrorNotice error={search.error} title="Finding users" />
      {search.data && search.data.length === 0 && <p className="muted">No user has an email like that.</p>}
      {search.data && search.data.length > 0 && (
        <fieldset className="user-results">
          <legend>Matching users</legend>
          {search.data.map((user) => (
            <label key={user.id} className="radio">
              <input
                type="radio"
                name="simulated-user"
                checked={user.id === uid}
                onChange={() => onPick({ uid: user.id, email: user.email ?? undefined })}
              />
              <span>
                {user.email ?? '(no email)'} <code className="muted">{user.id}</code>
              </span>
            </label>
          ))}
        </fieldset>
      )}
      <p className="muted" role="status">
        {uid ? (
          <>
            Simulating <strong>{email ?? 'a user'}</strong> (<code>{uid}</code>)
          </>
        ) : (
          'No user picked yet.'
        )}
      </p>
    </div>
  )
}
