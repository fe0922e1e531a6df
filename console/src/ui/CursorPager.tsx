import { useState } from 'react'

/** Pages through a cursor-paged list, newest first: the cursors seen so far, so "Newer" can go back. */
export function useCursorPages() {
  const [cursors, setCursors] = useState<(string | null)[]>([null])
  return {
    /** The cursor of the page shown (null: the first page). */
    cursor: cursors[cursors.length - 1] ?? null,
    page: cursors.length,
    newer: () => setCursors((list) => (list.length > 1 ? list.slice(0, -1) : list)),
    older: (next: string) => setCursors((list) => [...list, next]),
  }
}

/** "Newer / Page n / Older" under a cursor-paged table. */
export function CursorPager({
  label,
  pages,
  nextCursor,
}: {
  label: string
  pages: ReturnType<typeof useCursorPages>
  nextCursor: string | null | undefined
}) {
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" disabled={pages.page === 1} onClick={pages.newer}>
        Newer
      </button>
      <span className="muted">Page {pages.page}</span>
      <button type="button" disabled={!nextCursor} onClick={() => nextCursor && pages.older(nextCursor)}>
        Older
      </button>
    </nav>
  )
}
