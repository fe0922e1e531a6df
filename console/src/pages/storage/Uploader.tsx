import { type DragEvent, type ReactNode, useCallback, useEffect, useReducer, useRef, useState } from 'react'
import { ApiError } from '../../api/http.ts'
import { type StoredObject, uploadObject } from '../../api/storage.ts'
import { bytes } from '../../ui/format.ts'
import { uploadKey } from './folders.ts'
import { percent, type UploadItem, uploadSummary, uploadsReducer } from './uploads.ts'

/** A file to upload and, for a file inside a dropped folder, its path below that folder. */
export interface PickedFile {
  file: File
  path?: string
}

let nextId = 0

/**
 * Uploads files into `bucket` under `prefix`, a few at a time, with their progress in a reducer.
 * `onUploaded` runs after each success (to refresh the listing).
 */
export function useUploads(bucket: string, onUploaded: (object: StoredObject) => void) {
  const [items, dispatch] = useReducer(uploadsReducer, [])
  const aborts = useRef(new Map<string, () => void>())
  const uploaded = useRef(onUploaded)
  uploaded.current = onUploaded

  useEffect(() => {
    const running = aborts.current
    return () => {
      for (const abort of running.values()) abort()
    }
  }, [])

  const start = useCallback(
    (prefix: string, files: readonly PickedFile[]) => {
      const jobs = files.map(({ file, path }) => ({
        id: `upload-${++nextId}`,
        key: uploadKey(prefix, file.name, path),
        size: file.size,
        file,
      }))
      if (jobs.length === 0) return
      dispatch({ type: 'start', items: jobs.map(({ id, key, size }) => ({ id, key, size })) })
      for (const job of jobs) {
        const handle = uploadObject(bucket, job.key, job.file, (loaded, total) =>
          dispatch({ type: 'progress', id: job.id, loaded, total }),
        )
        aborts.current.set(job.id, handle.abort)
        handle.done.then(
          (object) => {
            dispatch({ type: 'done', id: job.id })
            uploaded.current(object)
          },
          (error: unknown) => {
            if (error instanceof ApiError && error.code === 'upload/cancelled')
              dispatch({ type: 'cancelled', id: job.id })
            else
              dispatch({
                type: 'failed',
                id: job.id,
                error: error instanceof ApiError ? `${error.message} (${error.code})` : String(error),
              })
          },
        )
        handle.done.finally(() => aborts.current.delete(job.id)).catch(() => {})
      }
    },
    [bucket],
  )

  const cancel = useCallback((id: string) => aborts.current.get(id)?.(), [])
  const clear = useCallback(() => dispatch({ type: 'clear' }), [])
  return { items, start, cancel, clear }
}

/** Reads a dropped folder's files, each with its path below the folder dropped. */
async function walk(entry: FileSystemEntry, out: PickedFile[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) =>
      (entry as FileSystemFileEntry).file(resolve, reject),
    )
    out.push({ file, path: entry.fullPath.replace(/^\//, '') })
    return
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader()
  // readEntries answers in batches until it answers none.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) =>
      reader.readEntries(resolve, reject),
    )
    if (batch.length === 0) break
    for (const child of batch) await walk(child, out)
  }
}

/** The files of a drop; folders (where the browser exposes them) are walked, keeping relative paths. */
export async function droppedFiles(data: DataTransfer): Promise<PickedFile[]> {
  // Entries must be taken while the drop event is being handled; reading them can wait.
  const entries = [...data.items]
    .filter((item) => item.kind === 'file')
    .map((item) => item.webkitGetAsEntry?.() ?? null)
  if (!entries.some((entry) => entry?.isDirectory)) return [...data.files].map((file) => ({ file }))
  const out: PickedFile[] = []
  for (const entry of entries) if (entry) await walk(entry, out)
  return out
}

/**
 * The area that takes dropped files, with a button (and the file input behind it) for keyboard users.
 * `children` is what the area covers: the object listing.
 */
export function DropZone({
  folderLabel,
  onFiles,
  disabled,
  children,
}: {
  folderLabel: string
  onFiles: (files: PickedFile[]) => void
  disabled?: boolean
  children: ReactNode
}) {
  const [over, setOver] = useState(false)
  const input = useRef<HTMLInputElement>(null)
  const depth = useRef(0)

  if (disabled) return <div className="object-list">{children}</div>

  const enter = (event: DragEvent) => {
    if (!event.dataTransfer.types.includes('Files')) return
    event.preventDefault()
    depth.current++
    setOver(true)
  }
  const leave = () => {
    depth.current = Math.max(0, depth.current - 1)
    if (depth.current === 0) setOver(false)
  }
  return (
    <section
      aria-label={`Objects in ${folderLabel}`}
      className={`drop-zone${over ? ' drop-zone-over' : ''}`}
      data-testid="drop-zone"
      onDragEnter={enter}
      onDragOver={(event) => {
        if (event.dataTransfer.types.includes('Files')) event.preventDefault()
      }}
      onDragLeave={leave}
      onDrop={(event) => {
        event.preventDefault()
        depth.current = 0
        setOver(false)
        void droppedFiles(event.dataTransfer).then(onFiles)
      }}
    >
      <div className="drop-hint">
        <span>
          Drag files or folders here to upload them to <strong>{folderLabel}</strong>, or
        </span>
        <button type="button" className="primary" onClick={() => input.current?.click()}>
          Choose files…
        </button>
        <input
          ref={input}
          type="file"
          multiple
          className="visually-hidden"
          tabIndex={-1}
          aria-label={`Files to upload to ${folderLabel}`}
          onChange={(event) => {
            const files = [...(event.target.files ?? [])].map((file) => ({ file }))
            event.target.value = ''
            onFiles(files)
          }}
        />
      </div>
      {children}
      {over && (
        <div className="drop-overlay" aria-hidden="true">
          Drop to upload to {folderLabel}
        </div>
      )}
    </section>
  )
}

function statusText(item: UploadItem): string {
  switch (item.status) {
    case 'uploading':
      return `${percent(item)}% of ${bytes(item.size)}`
    case 'done':
      return `Uploaded (${bytes(item.size)})`
    case 'failed':
      return `Failed: ${item.error ?? 'unknown error'}`
    case 'cancelled':
      return 'Cancelled'
  }
}

/** Each upload with its progress bar; a live region sums them up for screen readers. */
export function UploadList({
  items,
  onCancel,
  onClear,
}: {
  items: readonly UploadItem[]
  onCancel: (id: string) => void
  onClear: () => void
}) {
  if (items.length === 0) return null
  const finished = items.some((item) => item.status !== 'uploading')
  return (
    <section className="panel upload-list" aria-labelledby="uploads-title">
      <div className="panel-head">
        <h2 id="uploads-title">Uploads</h2>
        {finished && (
          <button type="button" onClick={onClear}>
            Clear finished
          </button>
        )}
      </div>
      <p role="status" className="muted" data-testid="upload-summary">
        {uploadSummary(items)}
      </p>
      <ul>
        {items.map((item) => (
          <li key={item.id} className={`upload upload-${item.status}`}>
            <span className="upload-key mono">{item.key}</span>
            <progress
              max={100}
              value={percent(item)}
              aria-label={`Upload of ${item.key}`}
              aria-valuetext={statusText(item)}
            />
            <span className="upload-status">{statusText(item)}</span>
            {item.status === 'uploading' && (
              <button
                type="button"
                onClick={() => onCancel(item.id)}
                aria-label={`Cancel upload of ${item.key}`}
              >
                Cancel
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  )
}
