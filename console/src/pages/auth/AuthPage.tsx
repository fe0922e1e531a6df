import { useNavigate, useSearch } from '@tanstack/react-router'
import { canWrite, isOwner } from '../../api/session.ts'
import { useAdmin } from '../../app/session.tsx'
import { PageHeader } from '../../ui/PageHeader.tsx'
import { Tabs } from '../../ui/Tabs.tsx'
import { AuthSettingsTab } from './AuthSettingsTab.tsx'
import { ProvidersTab } from './ProvidersTab.tsx'
import { UsersTab } from './UsersTab.tsx'
import './auth.css'

const TABS = [
  { key: 'users', label: 'Users' },
  { key: 'providers', label: 'Sign-in providers' },
  { key: 'settings', label: 'Settings' },
] as const

/** App users (search, filters, paging, add), OAuth/OIDC providers, and auth settings. */
export function AuthPage() {
  const admin = useAdmin()
  const search = useSearch({ from: '/auth' })
  const navigate = useNavigate({ from: '/auth' })
  const tab = search.tab ?? 'users'
  return (
    <>
      <PageHeader
        title="Auth"
        description="The app's users, the providers they sign in with, and auth settings."
      />
      {!canWrite(admin) && (
        <p className="notice notice-info" role="note">
          You are a viewer: you can read users, providers and settings; changing them takes a developer or an
          owner.
        </p>
      )}
      <Tabs
        tabs={TABS}
        selected={tab}
        label="Auth"
        onSelect={(key) =>
          void navigate({ search: (previous) => ({ ...previous, tab: key === 'users' ? undefined : key }) })
        }
      >
        {tab === 'users' && <UsersTab search={search} canWrite={canWrite(admin)} />}
        {tab === 'providers' && <ProvidersTab isOwner={isOwner(admin)} />}
        {tab === 'settings' && <AuthSettingsTab canWrite={canWrite(admin)} />}
      </Tabs>
    </>
  )
}
