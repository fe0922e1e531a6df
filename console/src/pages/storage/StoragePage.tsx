import { PageHeader } from '../../ui/PageHeader.tsx'

// Being built: this page is a placeholder until its section of the console lands.
export function StoragePage() {
  return (
    <>
      <PageHeader title="Storage" description="Buckets and their settings." />
      <p className="muted">This page is not built yet.</p>
    </>
  )
}
