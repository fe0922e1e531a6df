import { PageHeader } from '../../ui/PageHeader.tsx'

// Being built: this page is a placeholder until its section of the console lands.
export function RulesPage() {
  return (
    <>
      <PageHeader
        title="Rules simulator"
        description="Try a request against the rules and see which expression decided."
      />
      <p className="muted">This page is not built yet.</p>
    </>
  )
}
