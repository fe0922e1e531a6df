/**
 * Email and a new password (at least 8 characters, as the server requires): the first two fields of
 * every form that creates an account, app user or admin.
 */
export function NewCredentialFields({
  email,
  password,
  onEmail,
  onPassword,
}: {
  email: string
  password: string
  onEmail: (value: string) => void
  onPassword: (value: string) => void
}) {
  return (
    <>
      <label className="field">
        <span>Email</span>
        <input type="email" required value={email} onChange={(event) => onEmail(event.target.value)} />
      </label>
      <label className="field">
        <span>Password</span>
        <input
          type="password"
          required
          minLength={8}
          autoComplete="new-password"
          value={password}
          onChange={(event) => onPassword(event.target.value)}
        />
      </label>
    </>
  )
}
