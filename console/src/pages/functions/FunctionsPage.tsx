import { PageHeader } from '../../ui/PageHeader.tsx'

// Being built: this page is a placeholder until its section of the console lands.
export function FunctionsPage() {
  return (
    <>
      <PageHeader title="Functions" description="Deployed functions." />
      <p className="muted">This page is not built yet.</p>
    </>
  )
}
