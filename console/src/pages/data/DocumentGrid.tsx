import {
  createColumnHelper,
  type RowSelectionState,
  rowSelectionFeature,
  tableFeatures,
  type Updater,
  useTable,
} from '@tanstack/react-table'
import { useVirtualizer } from '@tanstack/react-virtual'
import { type KeyboardEvent, useEffect, useMemo, useRef, useState } from 'react'
import type { Document, OrderClause } from '../../api/data.ts'
import { dateTime } from '../../ui/format.ts'
import { cellKind, cellText } from './columns.ts'

const features = tableFeatures({ rowSelectionFeature })
const helper = createColumnHelper<typeof features, Document>()

/** Row height in pixels: one line per row, so rows need no measuring. */
export const ROW_HEIGHT = 34
/** Rows rendered beyond the visible ones, either way. */
const OVERSCAN = 8
/** Load the next page when the last rendered row is this close to the end of what is loaded. */
const PREFETCH_ROWS = 40

interface ColumnLayout {
  width: number
  /** The `orderBy` field a click on the header sorts by; none for columns the API cannot sort. */
  sortField?: string
}

function layoutOf(id: string): ColumnLayout {
  switch (id) {
    case 'select':
      return { width: 44 }
    case 'id':
      return { width: 200, sortField: '$id' }
    case 'version':
      return { width: 80 }
    case 'updatedAt':
      return { width: 215, sortField: '$updatedAt' }
    default:
      return { width: 170, sortField: id.slice('data:'.length) }
  }
}

function Cell({ value }: { value: unknown }) {
  const kind = cellKind(value)
  const text = kind === 'missing' ? '—' : cellText(value)
  return <span className={`cell cell-${kind}`}>{text}</span>
}

function columnsFor(fields: readonly string[], selectable: boolean) {
  return helper.columns([
    ...(selectable
      ? [
          helper.display({
            id: 'select',
            header: ({ table }) => (
              <input
                type="checkbox"
                aria-label="Select all loaded documents"
                checked={table.getIsAllRowsSelected()}
                ref={(input) => {
                  if (input) input.indeterminate = table.getIsSomeRowsSelected()
                }}
                onChange={table.getToggleAllRowsSelectedHandler()}
              />
            ),
            cell: ({ row }) => (
              <input
                type="checkbox"
                tabIndex={-1}
                aria-label={`Select document ${row.id}`}
                checked={row.getIsSelected()}
                onChange={row.getToggleSelectedHandler()}
                onClick={(event) => event.stopPropagation()}
              />
            ),
          }),
        ]
      : []),
    helper.accessor((doc) => doc.id, {
      id: 'id',
      header: 'id',
      cell: (info) => <span className="mono">{info.getValue()}</span>,
    }),
    ...fields.map((field) =>
      helper.accessor((doc) => doc.data[field], {
        id: `data:${field}`,
        header: field,
        cell: (info) => <Cell value={info.getValue()} />,
      }),
    ),
    helper.accessor((doc) => doc.version, {
      id: 'version',
      header: 'version',
      cell: (info) => info.getValue(),
    }),
    helper.accessor((doc) => doc.updatedAt, {
      id: 'updatedAt',
      header: 'updatedAt',
      cell: (info) => <span title={info.getValue()}>{dateTime(info.getValue())}</span>,
    }),
  ])
}

export interface DocumentGridProps {
  documents: readonly Document[]
  /** Data fields shown as columns. */
  fields: readonly string[]
  orderBy: readonly OrderClause[]
  onSort: (field: string) => void
  selectable: boolean
  selection: RowSelectionState
  onSelectionChange: (updater: Updater<RowSelectionState>) => void
  /** The document open in the editor. */
  activeId?: string
  onOpen: (id: string) => void
  hasMore: boolean
  loadingMore: boolean
  loadMore: () => void
  /** The total, when known (no filter): screen readers hear "row 5 of 100,000". */
  total?: number
}

/**
 * The documents grid: a virtualised table (only the rows in view, plus a few, are in the DOM), more
 * pages loaded by cursor as the end comes near. Keyboard: arrows, Page Up/Down, Home/End move between
 * rows, Space selects, Enter opens the document.
 */
export function DocumentGrid(props: DocumentGridProps) {
  const { documents, fields, orderBy, selectable, selection, hasMore, loadingMore, loadMore } = props
  const columns = useMemo(() => columnsFor(fields, selectable), [fields, selectable])
  const data = useMemo(() => [...documents], [documents])
  const table = useTable({
    features,
    columns,
    data,
    getRowId: (doc) => doc.id,
    enableRowSelection: selectable,
    state: { rowSelection: selection },
    onRowSelectionChange: props.onSelectionChange,
  })
  const rows = table.getRowModel().rows
  const scroller = useRef<HTMLDivElement>(null)
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: OVERSCAN,
    getItemKey: (index) => rows[index]?.id ?? index,
  })
  const items = virtualizer.getVirtualItems()
  const [focusIndex, setFocusIndex] = useState(0)
  const pendingFocus = useRef<number | null>(null)

  const lastIndex = items.at(-1)?.index ?? 0
  useEffect(() => {
    if (hasMore && !loadingMore && rows.length > 0 && lastIndex >= rows.length - PREFETCH_ROWS) loadMore()
  }, [hasMore, loadingMore, lastIndex, rows.length, loadMore])

  useEffect(() => {
    if (focusIndex >= rows.length && rows.length > 0) setFocusIndex(rows.length - 1)
  }, [focusIndex, rows.length])

  // A row moved to by keyboard gets focus once it is rendered.
  useEffect(() => {
    const index = pendingFocus.current
    if (index === null) return
    const element = scroller.current?.querySelector<HTMLElement>(`tr[data-index="${index}"]`)
    if (element) {
      pendingFocus.current = null
      element.focus({ preventScroll: true })
    }
  })

  function moveTo(index: number) {
    const next = Math.max(0, Math.min(index, rows.length - 1))
    setFocusIndex(next)
    pendingFocus.current = next
    virtualizer.scrollToIndex(next, { align: 'auto' })
  }

  function onRowKey(event: KeyboardEvent<HTMLTableRowElement>, index: number) {
    const page = Math.max(1, Math.floor((scroller.current?.clientHeight ?? ROW_HEIGHT * 10) / ROW_HEIGHT) - 1)
    const row = rows[index]
    switch (event.key) {
      case 'ArrowDown':
        moveTo(index + 1)
        break
      case 'ArrowUp':
        moveTo(index - 1)
        break
      case 'PageDown':
        moveTo(index + page)
        break
      case 'PageUp':
        moveTo(index - page)
        break
      case 'Home':
        moveTo(0)
        break
      case 'End':
        moveTo(rows.length - 1)
        break
      case ' ':
        if (selectable && row) row.toggleSelected()
        break
      case 'Enter':
        if (row) props.onOpen(row.id)
        break
      default:
        return
    }
    event.preventDefault()
  }

  // One row is in the tab order: the last one focused, or the first in view when that one scrolled out
  // of the DOM (the grid stays reachable with Tab however far it was scrolled).
  const tabbable = items.some((item) => item.index === focusIndex) ? focusIndex : items[0]?.index

  const headers = table.getHeaderGroups()[0]?.headers ?? []
  const width = headers.reduce((sum, header) => sum + layoutOf(header.column.id).width, 0)
  const sorted = orderBy[0]

  return (
    <div className="grid-scroll" ref={scroller}>
      <table
        className="doc-grid"
        // biome-ignore lint/a11y/noNoninteractiveElementToInteractiveRole: a data grid (WAI-ARIA grid pattern on a native table): rows are focusable, arrows move, Space selects.
        role="grid"
        aria-label="Documents"
        aria-rowcount={props.total !== undefined ? props.total + 1 : hasMore ? -1 : rows.length + 1}
        aria-multiselectable={selectable || undefined}
        style={{ width }}
      >
        <thead>
          <tr aria-rowindex={1}>
            {headers.map((header) => {
              const layout = layoutOf(header.column.id)
              const direction = layout.sortField && sorted?.[0] === layout.sortField ? sorted[1] : undefined
              return (
                <th
                  key={header.id}
                  scope="col"
                  style={{ width: layout.width }}
                  aria-sort={
                    direction === 'asc' ? 'ascending' : direction === 'desc' ? 'descending' : undefined
                  }
                >
                  {layout.sortField ? (
                    <button
                      type="button"
                      className="sort-button"
                      onClick={() => props.onSort(layout.sortField!)}
                      title={`Sort by ${layout.sortField}`}
                    >
                      <table.FlexRender header={header} />
                      <span aria-hidden="true" className="sort-mark">
                        {direction === 'asc' ? '▲' : direction === 'desc' ? '▼' : ''}
                      </span>
                    </button>
                  ) : (
                    <table.FlexRender header={header} />
                  )}
                </th>
              )
            })}
          </tr>
        </thead>
        <tbody style={{ height: virtualizer.getTotalSize() }}>
          {items.map((item) => {
            const row = rows[item.index]
            if (!row) return null
            const active = row.id === props.activeId
            return (
              <tr
                key={row.id}
                data-index={item.index}
                aria-rowindex={item.index + 2}
                aria-selected={selectable ? row.getIsSelected() : undefined}
                className={active ? 'active' : row.getIsSelected() ? 'selected' : undefined}
                tabIndex={item.index === tabbable ? 0 : -1}
                style={{ transform: `translateY(${item.start}px)`, width }}
                onFocus={() => setFocusIndex(item.index)}
                onClick={() => props.onOpen(row.id)}
                onKeyDown={(event) => onRowKey(event, item.index)}
              >
                {row.getAllCells().map((cell) => (
                  <td key={cell.id} style={{ width: layoutOf(cell.column.id).width }}>
                    <table.FlexRender cell={cell} />
                  </td>
                ))}
              </tr>
            )
          })}
        </tbody>
      </table>
      {rows.length === 0 && <p className="muted grid-empty">No documents match.</p>}
      {(hasMore || loadingMore) && (
        <div className="grid-more">
          <button type="button" onClick={loadMore} disabled={loadingMore}>
            {loadingMore ? 'Loading more…' : 'Load more'}
          </button>
        </div>
      )}
    </div>
  )
}
