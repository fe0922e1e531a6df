import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query'
import { Link, useNavigate } from '@tanstack/react-router'
import { type FormEvent, useEffect, useId, useRef, useState } from 'react'
import { listObjects } from '../../api/storage.ts'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { bytes, dateTime, fromNow } from '../../ui/format.ts'
import { Loading } from '../../ui/Loading.tsx'
import { baseName, breadcrumbs, folderView, normalizePrefix } from './folders.ts'
import { ObjectDetails } from './ObjectDetails.tsx'
import { DropZone, UploadList, useUploads } from './Uploader.tsx'

function Breadcrumbs({ bucket, prefix }: { bucket: string; prefix: string }) {
  const trail = breadcrumbs(prefix)
  return (
    <nav aria-label="Folder path" className="breadcrumbs">
      <ol>
        <li>
          <Link
            to="/storage/$bucket"
            params={{ bucket }}
            search={{}}
            {...(trail.length === 0 ? { 'aria-current': 'page' as const } : {})}
          >
            {bucket}
          </Link>
        </li>
        {trail.map((crumb, index) => (
          <li key={crumb.prefix}>
            <Link
              to="/storage/$bucket"
              params={{ bucket }}
              search={{ prefix: crumb.prefix }}
              {...(index === trail.length - 1 ? { 'aria-current': 'page' as const } : {})}
            >
              {crumb.label}
            </Link>
          </li>
        ))}
      </ol>
    </nav>
  )
}

/** "New folder": folders exist only as key prefixes, so this opens an empty one to upload into. */
function NewFolder({ prefix, onOpen }: { prefix: string; onOpen: (prefix: string) => void }) {
  const [open, setOpen] = useState(false)
  const [name, setName] = useState('')
  const id = useId()
  const input = useRef<HTMLInputElement>(null)
  // The field appears because the user asked for it: take them there.
  useEffect(() => {
    if (open) input.current?.focus()
  }, [open])
  if (!open)
    return (
      <button type="button" onClick={() => setOpen(true)}>
        New folder
      </button>
    )
  const submit = (event: FormEvent) => {
    event.preventDefault()
    const next = normalizePrefix(name)
    if (!next) return
    setOpen(false)
    setName('')
    onOpen(prefix + next)
  }
  return (
    <form className="new-folder" onSubmit={submit}>
      <label htmlFor={id}>Folder name</label>
      <input ref={input} id={id} value={name} onChange={(event) => setName(event.target.value)} />
      <button type="submit" className="primary" disabled={!normalizePrefix(name)}>
        Open folder
      </button>
      <button type="button" onClick={() => setOpen(false)}>
        Cancel
      </button>
    </form>
  )
}

/**
 * A bucket's objects, a folder at a time (key prefixes up to `/`), with drag-and-drop upload, and the
 * selected object's details beside them.
 */
export function ObjectBrowser({
  bucket,
  prefix,
  selectedKey,
  canWrite,
}: {
  bucket: string
  prefix: string
  selectedKey: string | undefined
  canWrite: boolean
}) {
  const client = useQueryClient()
  const navigate = useNavigate({ from: '/storage/$bucket' })
  const [deleted, setDeleted] = useState<string | null>(null)
  const listing = useInfiniteQuery({
    queryKey: ['storage', 'objects', bucket, prefix],
    queryFn: ({ pageParam, signal }) => listObjects(bucket, { prefix, cursor: pageParam }, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.nextCursor,
  })
  const refresh = () => client.invalidateQueries({ queryKey: ['storage', 'objects', bucket] })
  const uploads = useUploads(bucket, () => {
    void refresh()
  })

  const objects = listing.data?.pages.flatMap((page) => page.objects) ?? []
  const view = folderView(
    prefix,
    objects,
    listing.data?.pages.flatMap((page) => page.prefixes ?? []),
  )
  const selected = selectedKey ? objects.find((object) => object.key === selectedKey) : undefined
  const folderLabel = prefix ? `${bucket}/${prefix}` : bucket
  const open = (search: { prefix?: string; key?: string }) =>
    void navigate({ search: (previous) => ({ tab: previous.tab, ...search }) })

  return (
    <div className={selectedKey ? 'object-layout with-details' : 'object-layout'}>
      <div className="object-main">
        <div className="object-toolbar">
          <Breadcrumbs bucket={bucket} prefix={prefix} />
          <div className="toolbar-actions">
            {canWrite && <NewFolder prefix={prefix} onOpen={(next) => open({ prefix: next })} />}
            <button type="button" onClick={() => void refresh()} disabled={listing.isFetching}>
              {listing.isFetching ? 'Refreshing…' : 'Refresh'}
            </button>
          </div>
        </div>
        {deleted && (
          <p className="notice notice-ok" role="status">
            Deleted <code>{deleted}</code>.
          </p>
        )}
        <UploadList items={uploads.items} onCancel={uploads.cancel} onClear={uploads.clear} />
        <DropZone
          folderLabel={folderLabel}
          disabled={!canWrite}
          onFiles={(files) => {
            setDeleted(null)
            uploads.start(prefix, files)
          }}
        >
          {listing.error ? (
            <ErrorNotice error={listing.error} title="Objects" />
          ) : !listing.data ? (
            <Loading label="Loading objects…" />
          ) : (
            <table className="table objects-table">
              <caption className="visually-hidden">Folders and objects in {folderLabel}</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Size</th>
                  <th scope="col">Type</th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {prefix && (
                  <tr>
                    <td colSpan={4}>
                      <Link
                        from="/storage/$bucket"
                        to="/storage/$bucket"
                        params={{ bucket }}
                        search={(previous) => ({
                          tab: previous.tab,
                          prefix: breadcrumbs(prefix).at(-2)?.prefix,
                        })}
                        aria-label="Up one folder"
                      >
                        <span aria-hidden="true">↑ </span>..
                      </Link>
                    </td>
                  </tr>
                )}
                {view.folders.map((folder) => (
                  <tr key={folder} className="folder-row">
                    <td>
                      <Link to="/storage/$bucket" params={{ bucket }} search={{ prefix: folder }}>
                        <span className="icon" aria-hidden="true">
                          ▸
                        </span>
                        {baseName(folder)}/
                      </Link>
                    </td>
                    <td className="muted">folder</td>
                    <td />
                    <td />
                  </tr>
                ))}
                {view.files.map((object) => (
                  <tr key={object.key} className={object.key === selectedKey ? 'selected' : undefined}>
                    <td>
                      <button
                        type="button"
                        className="object-link"
                        aria-current={object.key === selectedKey ? 'true' : undefined}
                        onClick={() => open({ prefix: prefix || undefined, key: object.key })}
                      >
                        {baseName(object.key)}
                      </button>
                    </td>
                    <td>{bytes(object.size)}</td>
                    <td className="mono">{object.contentType}</td>
                    <td title={dateTime(object.updatedAt)}>{fromNow(object.updatedAt)}</td>
                  </tr>
                ))}
                {view.folders.length === 0 && view.files.length === 0 && (
                  <tr>
                    <td colSpan={4} className="muted">
                      {prefix ? 'This folder is empty.' : 'This bucket is empty.'}
                      {canWrite ? ' Drop files here or choose files to upload.' : ''}
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          )}
          {listing.hasNextPage && (
            <button
              type="button"
              onClick={() => void listing.fetchNextPage()}
              disabled={listing.isFetchingNextPage}
            >
              {listing.isFetchingNextPage ? 'Loading…' : 'Load more'}
            </button>
          )}
        </DropZone>
      </div>
      {selectedKey && (
        <ObjectDetails
          key={selectedKey}
          bucket={bucket}
          objectKey={selectedKey}
          listed={selected}
          canWrite={canWrite}
          onClose={() => open({ prefix: prefix || undefined })}
          onDeleted={(key) => {
            setDeleted(key)
            open({ prefix: prefix || undefined })
            void refresh()
          }}
        />
      )}
    </div>
  )
}
