import { useNavigate, useSearch } from '@tanstack/react-router'
import { isOwner } from '../../api/session.ts'
import { useAdmin } from '../../app/session.tsx'
import { PageHeader } from '../../ui/PageHeader.tsx'
import { Tabs } from '../../ui/Tabs.tsx'
import { AdminsTab } from './AdminsTab.tsx'
import { AuditTab } from './AuditTab.tsx'
import { KeysTab } from './KeysTab.tsx'
import { SecurityTab } from './SecurityTab.tsx'
import './settings.css'

const TABS = [
  { key: 'admins', label: 'Admins' },
  { key: 'security', label: 'Your account' },
  { key: 'keys', label: 'Keys' },
  { key: 'audit', label: 'Audit log' },
] as const

/** Admin accounts and roles, your own TOTP, keys, and the audit log. */
export function SettingsPage() {
  const admin = useAdmin()
  const search = useSearch({ from: '/settings' })
  const navigate = useNavigate({ from: '/settings' })
  const tab = search.tab ?? 'admins'
  return (
    <>
      <PageHeader
        title="Settings"
        description="Admin accounts and roles, your sign-in, keys, and the audit log."
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
        {tab === 'audit' && <AuditTab />}
      </Tabs>
    </>
  )
}
