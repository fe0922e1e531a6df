import { PageHeader } from '../../ui/PageHeader.tsx'

// Being built: this page is a placeholder until its section of the console lands.
export function SettingsPage() {
  return (
    <>
      <PageHeader title="Settings" description="Admin accounts, keys and the audit log." />
      <p className="muted">This page is not built yet.</p>
    </>
  )
}
