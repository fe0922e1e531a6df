import { useNavigate, useSearch } from '@tanstack/react-router'
import { isOwner } from '../../api/session.ts'
import { useAdmin } from '../../app/session.tsx'
import { PageHeader } from '../../ui/PageHeader.tsx'
import { Tabs } from '../../ui/Tabs.tsx'
import { AdminsTab } from './AdminsTab.tsx'
import { ApiKeysSection } from './ApiKeysSection.tsx'
import { AuditTab } from './AuditTab.tsx'
import { DeploymentsTab } from './DeploymentsTab.tsx'
import { KeysTab } from './KeysTab.tsx'
import { SecurityTab } from './SecurityTab.tsx'
import './settings.css'

const TABS = [
  { key: 'admins', label: 'Admins' },
  { key: 'security', label: 'Your account' },
  { key: 'keys', label: 'Keys' },
  { key: 'api-keys', label: 'API keys' },
  { key: 'audit', label: 'Audit log' },
  { key: 'deployments', label: 'Deployments' },
] as const

/** Admin accounts and roles, your own TOTP, keys, API keys, the audit log, and the deployments of stratus.yaml. */
export function SettingsPage() {
  const admin = useAdmin()
  const search = useSearch({ from: '/settings' })
  const navigate = useNavigate({ from: '/settings' })
  const tab = search.tab ?? 'admins'
  return (
    <>
      <PageHeader
        title="Settings"
        description="Admin accounts and roles, your sign-in, keys, API keys, the audit log, and the deployments of stratus.yaml."
      />
      <Tabs
        tabs={TABS}
        selected={tab}
        label="Settings"
        onSelect={(key) => void navigate({ search: { tab: key === 'admins' ? undefined : key } })}
      >
        {tab === 'admins' && <AdminsTab me={admin} isOwner={isOwner(admin)} />}
        {tab === 'security' && <SecurityTab admin={admin} />}
        {tab === 'keys' && <KeysTab role={admin.role} />}
        {tab === 'api-keys' &&
          (isOwner(admin) ? (
            <ApiKeysSection />
          ) : (
            <section className="panel" aria-labelledby="api-keys-title">
              <h2 id="api-keys-title">API keys</h2>
              <p className="notice notice-info" role="note">
                Owners only: API keys are managed by owners. You are signed in as a {admin.role}.
              </p>
            </section>
          ))}
        {tab === 'audit' && <AuditTab />}
        {tab === 'deployments' && <DeploymentsTab />}
      </Tabs>
    </>
  )
}
