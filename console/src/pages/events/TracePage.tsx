import { PageHeader } from '../../ui/PageHeader.tsx'

// Being built: this page is a placeholder until its section of the console lands.
export function TracePage() {
  return (
    <>
      <PageHeader title="Trace" description="Everything one request caused." />
      <p className="muted">This page is not built yet.</p>
    </>
  )
}
