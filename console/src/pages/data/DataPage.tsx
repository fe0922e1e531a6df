import { PageHeader } from '../../ui/PageHeader.tsx'

// Being built: this page is a placeholder until its section of the console lands.
export function DataPage() {
  return (
    <>
      <PageHeader title="Data" description="Collections and their documents." />
      <p className="muted">This page is not built yet.</p>
    </>
  )
}
