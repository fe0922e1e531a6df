import { PageHeader } from '../../ui/PageHeader.tsx'

// Being built: this page is a placeholder until its section of the console lands.
export function AuthPage() {
  return (
    <>
      <PageHeader title="Auth" description="Users, sign-in providers and auth settings." />
      <p className="muted">This page is not built yet.</p>
    </>
  )
}
