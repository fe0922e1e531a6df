import { PageHeader } from '../../ui/PageHeader.tsx'

// Being built: this page is a placeholder until its section of the console lands.
export function QueuesPage() {
  return (
    <>
      <PageHeader title="Queues" description="Queues and dead letters." />
      <p className="muted">This page is not built yet.</p>
    </>
  )
}
