import { PageHeader } from '../../ui/PageHeader.tsx'

// Being built: this page is a placeholder until its section of the console lands.
export function SchedulesPage() {
  return (
    <>
      <PageHeader title="Schedules" description="Schedule triggers and their next runs." />
      <p className="muted">This page is not built yet.</p>
    </>
  )
}
