import { useQuery } from '@tanstack/react-query'
import { getRouteApi, Link } from '@tanstack/react-router'
import { getCollection } from '../../api/data.ts'
import { ApiError } from '../../api/http.ts'
import { canWrite } from '../../api/session.ts'
import { useAdmin } from '../../app/session.tsx'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { number } from '../../ui/format.ts'
import { Loading } from '../../ui/Loading.tsx'
import { DriftNotice, ManagedBadge, useResourceState } from '../../ui/Managed.tsx'
import { PageHeader } from '../../ui/PageHeader.tsx'
import { type Tab, Tabs } from '../../ui/Tabs.tsx'
import { DocumentsTab } from './DocumentsTab.tsx'
import { IndexesTab } from './IndexesTab.tsx'
import { RulesTab } from './RulesTab.tsx'
import { SchemaTab } from './SchemaTab.tsx'
import type { CollectionTab } from './search.ts'
import './data.css'

const route = getRouteApi('/data/$collection')

const TABS: readonly Tab<CollectionTab>[] = [
  { key: 'documents', label: 'Documents' },
  { key: 'rules', label: 'Rules' },
  { key: 'schema', label: 'Schema' },
  { key: 'indexes', label: 'Indexes' },
]

/** One collection: its documents, rules, schema and indexes, a tab each (the tab is in the URL). */
export function CollectionPage() {
  const { collection } = route.useParams()
  const search = route.useSearch()
  const navigate = route.useNavigate()
  const writable = canWrite(useAdmin())
  const info = useQuery({
    queryKey: ['collection', collection],
    queryFn: ({ signal }) => getCollection(collection, signal),
  })
  const managed = useResourceState('collection', collection, info.data?.version)
  const tab = search.tab ?? 'documents'
  const missing = info.error instanceof ApiError && info.error.status === 404

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/data">Data</Link> <span aria-hidden="true">/</span> <span>{collection}</span>
      </nav>
      <PageHeader
        title={collection}
        description={
          info.data ? (
            <>
              {`${number(info.data.documentCount)} document${info.data.documentCount === 1 ? '' : 's'} · ${
                info.data.configured
                  ? `configuration version ${info.data.version}`
                  : 'not configured: only the service key and admins can use it'
              }`}{' '}
              <ManagedBadge state={managed} />
            </>
          ) : (
            'A collection of documents.'
          )
        }
        actions={
          <Link to="/rules" search={{ target: 'document', collection }} className="button">
            Simulate rules
          </Link>
        }
      />
      <DriftNotice state={managed} />
      {missing ? (
        <div className="panel">
          <p>
            There is no collection named <code>{collection}</code>: it is neither configured nor holds a
            document.
          </p>
          <p>
            <Link to="/data">Back to the collections</Link>
            {writable && ' (create it there with New collection)'}
          </p>
        </div>
      ) : info.error ? (
        <ErrorNotice error={info.error} title="Loading the collection" />
      ) : !info.data ? (
        <Loading label="Loading the collection…" />
      ) : (
        <Tabs
          tabs={TABS}
          selected={tab}
          label="Collection sections"
          onSelect={(key) =>
            void navigate({
              search: (prev) => ({ ...prev, tab: key === 'documents' ? undefined : key }),
              replace: true,
            })
          }
        >
          {tab === 'documents' && <DocumentsTab info={info.data} writable={writable} />}
          {tab === 'rules' && <RulesTab info={info.data} writable={writable} />}
          {tab === 'schema' && <SchemaTab info={info.data} writable={writable} />}
          {tab === 'indexes' && <IndexesTab info={info.data} writable={writable} />}
        </Tabs>
      )}
    </>
  )
}
