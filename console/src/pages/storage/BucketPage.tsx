import { useQuery } from '@tanstack/react-query'
import { Link, useNavigate, useParams, useSearch } from '@tanstack/react-router'
import { canWrite } from '../../api/session.ts'
import { getBucket } from '../../api/storage.ts'
import { useAdmin } from '../../app/session.tsx'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { Loading } from '../../ui/Loading.tsx'
import { DriftNotice, ManagedBadge, useResourceState } from '../../ui/Managed.tsx'
import { PageHeader } from '../../ui/PageHeader.tsx'
import { Tabs } from '../../ui/Tabs.tsx'
import { BucketSettings } from './BucketSettings.tsx'
import { ObjectBrowser } from './ObjectBrowser.tsx'
import './storage.css'

const TABS = [
  { key: 'objects', label: 'Objects' },
  { key: 'settings', label: 'Settings' },
] as const

/** One bucket: its objects by folder (upload, preview, share, delete) and its settings. */
export function BucketPage() {
  const admin = useAdmin()
  const { bucket: name } = useParams({ from: '/storage/$bucket' })
  const search = useSearch({ from: '/storage/$bucket' })
  const navigate = useNavigate({ from: '/storage/$bucket' })
  const bucket = useQuery({
    queryKey: ['storage', 'bucket', name],
    queryFn: ({ signal }) => getBucket(name, signal),
  })
  const managed = useResourceState('bucket', name, bucket.data?.updatedAt)
  const tab = search.tab ?? 'objects'
  const writable = canWrite(admin)
  return (
    <>
      <PageHeader
        title={name}
        description={
          <>
            <Link to="/storage">Storage</Link> › bucket
            {bucket.data && (
              <>
                {' '}
                <span className={bucket.data.public ? 'badge badge-public' : 'badge'}>
                  {bucket.data.public ? 'public' : 'private'}
                </span>{' '}
                <ManagedBadge state={managed} />
              </>
            )}
          </>
        }
      />
      <DriftNotice state={managed} />
      {bucket.error ? (
        <ErrorNotice error={bucket.error} title="Bucket" />
      ) : (
        <Tabs
          tabs={TABS}
          selected={tab}
          label="Bucket"
          onSelect={(key) =>
            void navigate({
              search: (previous) => ({ ...previous, tab: key === 'objects' ? undefined : key }),
            })
          }
        >
          {tab === 'objects' ? (
            <ObjectBrowser
              bucket={name}
              prefix={search.prefix ?? ''}
              selectedKey={search.key}
              canWrite={writable}
            />
          ) : bucket.data ? (
            <BucketSettings key={bucket.data.name} bucket={bucket.data} canWrite={writable} />
          ) : (
            <Loading label="Loading settings…" />
          )}
        </Tabs>
      )}
    </>
  )
}
