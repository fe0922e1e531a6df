import { PageHeader } from '../../ui/PageHeader.tsx'

// Being built: this page is a placeholder until its section of the console lands.
export function CollectionPage() {
  return (
    <>
      <PageHeader title="Collection" description="Documents, rules and schema of one collection." />
      <p className="muted">This page is not built yet.</p>
    </>
  )
}
