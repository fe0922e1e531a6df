import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { createAdmin, deleteAdmin, listAdmins, updateAdmin } from '../../api/admins.ts'
import type { Admin, AdminRole } from '../../api/session.ts'
import { ConfirmAction, ConfirmDialog } from '../../ui/ConfirmDialog.tsx'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { dateTime, fromNow } from '../../ui/format.ts'
import { Loading } from '../../ui/Loading.tsx'
import { NewCredentialFields } from '../../ui/NewCredentialFields.tsx'
import { SelectField } from '../../ui/SelectField.tsx'

const ROLES: readonly { role: AdminRole; what: string }[] = [
  { role: 'owner', what: 'everything, admin accounts and keys included' },
  { role: 'developer', what: 'everything but admin accounts, keys and provider secrets' },
  { role: 'viewer', what: 'read only' },
]

const ADMINS_KEY = ['admins'] as const

function AddAdmin({ onAdded }: { onAdded: (admin: Admin) => void }) {
  const client = useQueryClient()
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [role, setRole] = useState<AdminRole>('developer')
  const add = useMutation({
    mutationFn: () => createAdmin({ email, password, role }),
    onSuccess: async (admin) => {
      await client.invalidateQueries({ queryKey: ADMINS_KEY })
      setEmail('')
      setPassword('')
      onAdded(admin)
    },
  })
  const submit = (event: FormEvent) => {
    event.preventDefault()
    add.mutate()
  }
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="add-admin-title">
      <h2 id="add-admin-title">Add an admin</h2>
      <div className="field-row">
        <NewCredentialFields email={email} password={password} onEmail={setEmail} onPassword={setPassword} />
        <SelectField label="Role" value={role} onChange={(event) => setRole(event.target.value as AdminRole)}>
          {ROLES.map((option) => (
            <option key={option.role} value={option.role}>
              {option.role}: {option.what}
            </option>
          ))}
        </SelectField>
        <div className="field">
          <button type="submit" className="primary" disabled={add.isPending}>
            {add.isPending ? 'Adding…' : 'Add admin'}
          </button>
        </div>
      </div>
      <ErrorNotice error={add.error} title="Not added" />
    </form>
  )
}

/** The role select of one admin: a change asks first (it ends that admin's sessions). */
function RoleCell({ admin, self, onDone }: { admin: Admin; self: boolean; onDone: (text: string) => void }) {
  const client = useQueryClient()
  const [next, setNext] = useState<AdminRole | null>(null)
  const change = useMutation({
    mutationFn: (role: AdminRole) => updateAdmin(admin.id, { role }),
    onSuccess: async (saved) => {
      setNext(null)
      await client.invalidateQueries({ queryKey: ADMINS_KEY })
      onDone(`${saved.email} is now ${saved.role}; their sessions ended.`)
    },
  })
  return (
    <>
      <select
        aria-label={`Role of ${admin.email}`}
        value={admin.role}
        disabled={self}
        title={self ? 'Your own role: another owner can change it' : undefined}
        onChange={(event) => {
          change.reset()
          setNext(event.target.value as AdminRole)
        }}
      >
        {ROLES.map((option) => (
          <option key={option.role} value={option.role}>
            {option.role}
          </option>
        ))}
      </select>
      <ConfirmDialog
        open={next !== null}
        title={`Make ${admin.email} ${next ?? ''}?`}
        confirmLabel="Change role"
        busy={change.isPending}
        error={change.error}
        onConfirm={() => next && change.mutate(next)}
        onClose={() => setNext(null)}
      >
        <p>
          A {next} may do {ROLES.find((option) => option.role === next)?.what}. Their sessions end now: they
          sign in again with the new role.
        </p>
      </ConfirmDialog>
    </>
  )
}

/** Admin accounts and their roles (owners only; the server refuses everyone else). */
export function AdminsTab({ me, isOwner }: { me: Admin; isOwner: boolean }) {
  const client = useQueryClient()
  const [done, setDone] = useState<string | null>(null)
  const admins = useQuery({
    queryKey: ADMINS_KEY,
    queryFn: ({ signal }) => listAdmins(signal),
    enabled: isOwner,
  })
  if (!isOwner) {
    return (
      <section className="panel" aria-labelledby="admins-title">
        <h2 id="admins-title">Admin accounts</h2>
        <p className="notice notice-info" role="note">
          Owners only: admin accounts and roles are managed by owners. You are signed in as a {me.role}.
        </p>
      </section>
    )
  }
  return (
    <>
      {done && (
        <p className="notice notice-ok" role="status">
          {done}
        </p>
      )}
      <AddAdmin
        onAdded={(admin) => setDone(`Added ${admin.email} as ${admin.role}: they can sign in now.`)}
      />
      <section className="panel" aria-labelledby="admins-title">
        <h2 id="admins-title">Admin accounts</h2>
        {admins.error ? (
          <ErrorNotice error={admins.error} title="Admins" />
        ) : !admins.data ? (
          <Loading label="Loading admins…" />
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">TOTP</th>
                <th scope="col">Last sign-in</th>
                <th scope="col">Added</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {admins.data.map((admin) => {
                const self = admin.id === me.id
                return (
                  <tr key={admin.id}>
                    <td>
                      {admin.email} {self && <span className="badge">you</span>}
                    </td>
                    <td>
                      <RoleCell admin={admin} self={self} onDone={setDone} />
                    </td>
                    <td>{admin.mfa ? <span className="badge badge-ok">on</span> : 'off'}</td>
                    <td title={dateTime(admin.lastSignInAt)}>{fromNow(admin.lastSignInAt)}</td>
                    <td>{dateTime(admin.createdAt)}</td>
                    <td>
                      <div className="inline-actions">
                        {admin.mfa && !self && (
                          <ConfirmAction
                            label="Reset TOTP"
                            accessibleName={`Reset TOTP of ${admin.email}`}
                            title={`Reset TOTP of ${admin.email}?`}
                            confirmLabel="Reset TOTP"
                            description={
                              <p>Their authenticator stops being asked for: the password alone signs in.</p>
                            }
                            onConfirm={async () => {
                              await updateAdmin(admin.id, { mfa: false })
                              await client.invalidateQueries({ queryKey: ADMINS_KEY })
                              setDone(`TOTP of ${admin.email} reset.`)
                            }}
                          />
                        )}
                        {!self && (
                          <ConfirmAction
                            label="Delete"
                            accessibleName={`Delete admin ${admin.email}`}
                            title={`Delete admin ${admin.email}?`}
                            confirmLabel="Delete admin"
                            typed={admin.email}
                            description={<p>The account and its sessions go at once.</p>}
                            onConfirm={async () => {
                              await deleteAdmin(admin.id)
                              await client.invalidateQueries({ queryKey: ADMINS_KEY })
                              setDone(`Deleted admin ${admin.email}.`)
                            }}
                          />
                        )}
                      </div>
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
