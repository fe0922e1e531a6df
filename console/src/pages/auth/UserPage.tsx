import { PageHeader } from '../../ui/PageHeader.tsx'

// Being built: this page is a placeholder until its section of the console lands.
export function UserPage() {
  return (
    <>
      <PageHeader title="User" description="A user, their identities, factors and sessions." />
      <p className="muted">This page is not built yet.</p>
    </>
  )
}
