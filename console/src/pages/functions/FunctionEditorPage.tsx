import { PageHeader } from '../../ui/PageHeader.tsx'

// Being built: this page is a placeholder until its section of the console lands.
export function FunctionEditorPage() {
  return (
    <>
      <PageHeader title="Function" description="Code, triggers, versions and executions." />
      <p className="muted">This page is not built yet.</p>
    </>
  )
}

export function NewFunctionPage() {
  return <FunctionEditorPage />
}
