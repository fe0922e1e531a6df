import { PageHeader } from '../../ui/PageHeader.tsx'

// Being built: this page is a placeholder until its section of the console lands.
export function EventsPage() {
  return (
    <>
      <PageHeader title="Events" description="The event bus, live." />
      <p className="muted">This page is not built yet.</p>
    </>
  )
}
