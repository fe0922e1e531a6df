import { useMutation, useQueryClient } from '@tanstack/react-query'
import { getRouteApi } from '@tanstack/react-router'
import type { RowSelectionState } from '@tanstack/react-table'
import { useCallback, useEffect, useMemo, useState } from 'react'
import { batch, type CollectionInfo, failedIndex, MAX_BATCH, writeErrorText } from '../../api/data.ts'
import { ConfirmButton } from '../../ui/ConfirmButton.tsx'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { number } from '../../ui/format.ts'
import { dataColumns } from './columns.ts'
import { DocumentEditor, NEW_DOCUMENT } from './DocumentEditor.tsx'
import { DocumentGrid } from './DocumentGrid.tsx'
import { runImport } from './import-runner.ts'
import { QueryBar } from './QueryBar.tsx'
import { nextOrder } from './query.ts'
import { ExportButtons, ImportPanel } from './Transfer.tsx'
import { dropDocuments, useDocuments } from './use-documents.ts'

const route = getRouteApi('/data/$collection')
const NONE: never[] = []

/** The documents of a collection: query, grid, editor, bulk actions, export and import. */
export function DocumentsTab({ info, writable }: { info: CollectionInfo; writable: boolean }) {
  const search = route.useSearch()
  const navigate = route.useNavigate()
  const client = useQueryClient()
  const collection = info.name
  const where = search.where ?? NONE
  const orderBy = search.orderBy ?? NONE
  const { query, documents, firstPage } = useDocuments(collection, where, orderBy)
  const fields = useMemo(() => dataColumns(firstPage), [firstPage])
  const [selection, setSelection] = useState<RowSelectionState>({})
  const [importing, setImporting] = useState(false)
  const selected = Object.keys(selection)

  const queryKey = JSON.stringify([where, orderBy])
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new query starts with nothing selected.
  useEffect(() => setSelection({}), [queryKey])

  const setQuery = (next: { where?: typeof where; orderBy?: typeof orderBy }) =>
    navigate({
      search: (prev) => {
        const w = next.where ?? prev.where ?? []
        const o = next.orderBy ?? prev.orderBy ?? []
        return { ...prev, where: w.length ? w : undefined, orderBy: o.length ? o : undefined }
      },
    })
  const open = (doc: string | undefined) =>
    navigate({ search: (prev) => ({ ...prev, doc }), replace: replacesEntry(search.doc, doc) })

  const loadMore = useCallback(() => {
    if (query.hasNextPage && !query.isFetchingNextPage) void query.fetchNextPage()
  }, [query])

  const bulkDelete = useMutation({
    mutationFn: async (ids: string[]) =>
      runImport(
        ids.map((id, i) => ({ line: i + 1, id, data: {} })),
        {
          collection,
          mode: 'set',
          chunk: MAX_BATCH,
          commit: (writes) =>
            batch(writes.map((w) => ({ op: 'delete', collection: w.collection, id: w.id! }))),
          failedIndex,
          describe: writeErrorText,
        },
      ),
    onSuccess: async (report, ids) => {
      const failed = new Set(report.failed.map((f) => f.id))
      dropDocuments(
        client,
        collection,
        ids.filter((id) => !failed.has(id)),
      )
      setSelection({})
      if (search.doc && !failed.has(search.doc) && ids.includes(search.doc)) void open(undefined)
      await client.invalidateQueries({ queryKey: ['collections'] })
      await client.invalidateQueries({ queryKey: ['collection', collection] })
    },
  })

  const loaded = documents.length
  const filtered = where.length > 0
  const countText = filtered
    ? `${number(loaded)} loaded${query.hasNextPage ? ', more match' : ''}`
    : `${number(loaded)} of ${number(info.documentCount)} loaded`

  return (
    <div className="documents-tab">
      <QueryBar
        where={where}
        orderBy={orderBy}
        fields={fields}
        onApply={(w, o) => void setQuery({ where: w, orderBy: o })}
      />
      <div className="doc-toolbar">
        <span className="doc-count" role="status" aria-live="polite">
          {query.isPending ? 'Loading…' : countText}
        </span>
        {writable && (
          <>
            <button type="button" onClick={() => void open(NEW_DOCUMENT)}>
              New document
            </button>
            <ConfirmButton
              disabled={selected.length === 0 || bulkDelete.isPending}
              onConfirm={() => bulkDelete.mutate(selected)}
              confirmLabel={`Press again to delete ${selected.length}`}
            >
              {bulkDelete.isPending ? 'Deleting…' : `Delete selected (${selected.length})`}
            </ConfirmButton>
            <button type="button" aria-expanded={importing} onClick={() => setImporting((v) => !v)}>
              Import
            </button>
          </>
        )}
        <ExportButtons collection={collection} where={where} orderBy={orderBy} />
      </div>
      {bulkDelete.data && (
        <p
          className={bulkDelete.data.failed.length ? 'notice notice-warn' : 'notice notice-ok'}
          role="status"
        >
          Deleted {number(bulkDelete.data.written)} document{bulkDelete.data.written === 1 ? '' : 's'}
          {bulkDelete.data.failed.length > 0 &&
            `; ${bulkDelete.data.failed.length} failed: ${bulkDelete.data.failed
              .slice(0, 5)
              .map((f) => `${f.id} (${f.message})`)
              .join(', ')}`}
          .
        </p>
      )}
      <ErrorNotice error={bulkDelete.error} title="Deleting" />
      {importing && writable && <ImportPanel collection={collection} onClose={() => setImporting(false)} />}
      <ErrorNotice error={query.error} title="Query" />
      <div className={search.doc ? 'documents-split with-editor' : 'documents-split'}>
        <DocumentGrid
          documents={documents}
          fields={fields}
          orderBy={orderBy}
          onSort={(field) => void setQuery({ orderBy: nextOrder(orderBy, field) })}
          selectable={writable}
          selection={selection}
          onSelectionChange={setSelection}
          activeId={search.doc}
          onOpen={(id) => void open(id)}
          hasMore={query.hasNextPage}
          loadingMore={query.isFetchingNextPage}
          loadMore={loadMore}
          {...(filtered ? {} : { total: info.documentCount })}
        />
        {search.doc && (
          <DocumentEditor
            key={search.doc}
            collection={collection}
            docId={search.doc}
            schema={info.schema}
            writable={writable}
            onClose={() => void open(undefined)}
            onCreated={(id) => void open(id)}
          />
        )}
      </div>
    </div>
  )
}

/** Moving between documents replaces the history entry; opening or closing the editor adds one. */
function replacesEntry(before: string | undefined, after: string | undefined): boolean {
  return before !== undefined && after !== undefined
}
