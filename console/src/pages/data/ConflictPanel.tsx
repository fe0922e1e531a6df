import { useEffect, useRef } from 'react'
import type { Document } from '../../api/data.ts'
import { CodeEditor } from '../../ui/CodeEditor.tsx'
import { dateTime } from '../../ui/format.ts'
import { jsonEqual } from './json-schema.ts'

/** Top-level fields that differ between two versions of a document's data. */
export function changedFields(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)])
  return [...keys].filter((key) => !(key in a && key in b && jsonEqual(a[key], b[key])))
}

/**
 * A save refused with 412 `db/version-mismatch`: someone wrote the document since it was opened. Shows
 * what the server holds now and lets the admin take it (losing the edit) or write theirs over it.
 */
export function ConflictPanel({
  base,
  theirs,
  mine,
  busy,
  onReload,
  onOverwrite,
}: {
  /** The version the edit started from. */
  base: Document
  /** The document as the server holds it now; null when it was deleted meanwhile. */
  theirs: Document | null
  /** The edited data, when it parses. */
  mine: Record<string, unknown> | null
  busy: boolean
  onReload: () => void
  onOverwrite: () => void
}) {
  const panel = useRef<HTMLElement>(null)
  // The choice to make is below the editor: bring it into view (CodeMirror also measures only what is in view).
  // (A block: Chromium's scrollIntoView now returns a promise, which an effect must not return.)
  useEffect(() => {
    panel.current?.scrollIntoView?.({ block: 'nearest' })
  }, [])
  const changed = theirs ? changedFields(base.data, theirs.data) : []
  const clash = theirs && mine ? changed.filter((key) => !jsonEqual(mine[key], base.data[key])) : []
  return (
    <section ref={panel} className="conflict" aria-labelledby="conflict-title" role="alert">
      <h3 id="conflict-title">Version conflict</h3>
      {theirs ? (
        <p className="conflict-text">
          This document changed while you edited it: you started from version {base.version}, the server now
          has version {theirs.version} (written {dateTime(theirs.updatedAt)}).{' '}
          {changed.length > 0 ? (
            <>
              Changed since: <code>{changed.join(', ')}</code>
              {clash.length > 0 && (
                <>
                  {' '}
                  — you edited <code>{clash.join(', ')}</code> too
                </>
              )}
              .
            </>
          ) : (
            'Its data is the same as the version you started from.'
          )}
        </p>
      ) : (
        <p className="conflict-text">This document was deleted while you edited it.</p>
      )}
      {theirs && (
        <div className="field">
          <span>The server’s current version {theirs.version}</span>
          <CodeEditor
            value={JSON.stringify(theirs.data, null, 2)}
            language="json"
            label={`Server version ${theirs.version} of the document (read only)`}
            readOnly
            minHeight="6rem"
          />
        </div>
      )}
      <div className="form-actions">
        <button type="button" onClick={onReload} disabled={busy}>
          {theirs ? `Reload version ${theirs.version} (discard my changes)` : 'Close (discard my changes)'}
        </button>
        <button type="button" className="danger" onClick={onOverwrite} disabled={busy || !mine}>
          {theirs ? `Overwrite with mine (as version ${theirs.version + 1})` : 'Create it again with mine'}
        </button>
      </div>
    </section>
  )
}
