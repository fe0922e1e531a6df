import { PageHeader } from '../../ui/PageHeader.tsx'

// Being built: this page is a placeholder until its section of the console lands.
export function BucketPage() {
  return (
    <>
      <PageHeader title="Bucket" description="Objects in one bucket." />
      <p className="muted">This page is not built yet.</p>
    </>
  )
}
