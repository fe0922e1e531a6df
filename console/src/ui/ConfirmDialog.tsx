import { type ReactNode, useEffect, useId, useRef, useState } from 'react'
import { ErrorNotice } from './ErrorNotice.tsx'

/**
 * A modal dialog (the native `<dialog>`: focus kept inside, Escape cancels) that asks before a
 * destructive action. With `typed`, the confirm button stays disabled until that exact text is typed
 * (a bucket's name, an email), as GitHub and Supabase do for what cannot be undone.
 */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  typed,
  busy = false,
  error,
  onConfirm,
  onClose,
}: {
  open: boolean
  title: string
  children?: ReactNode
  confirmLabel: string
  typed?: string
  busy?: boolean
  error?: unknown
  onConfirm: () => void
  onClose: () => void
}) {
  const dialog = useRef<HTMLDialogElement>(null)
  const titleId = useId()
  const [text, setText] = useState('')

  useEffect(() => {
    const element = dialog.current
    if (!element) return
    if (open && !element.open) {
      setText('')
      // jsdom has no showModal; the attribute shows it there.
      if (typeof element.showModal === 'function') element.showModal()
      else element.setAttribute('open', '')
    } else if (!open && element.open) {
      if (typeof element.close === 'function') element.close()
      else element.removeAttribute('open')
    }
  }, [open])

  const ready = !busy && (typed === undefined || text === typed)
  return (
    <dialog
      ref={dialog}
      className="confirm-dialog"
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault()
        if (!busy) onClose()
      }}
    >
      <form
        onSubmit={(event) => {
          event.preventDefault()
          if (ready) onConfirm()
        }}
      >
        <h2 id={titleId}>{title}</h2>
        {children}
        {typed !== undefined && (
          <label className="field">
            <span>
              Type <code>{typed}</code> to confirm
            </span>
            <input
              value={text}
              onChange={(event) => setText(event.target.value)}
              autoComplete="off"
              spellCheck={false}
            />
          </label>
        )}
        <ErrorNotice error={error} />
        <div className="confirm-actions">
          <button type="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="danger" disabled={!ready}>
            {busy ? 'Working…' : confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  )
}

/**
 * A button that opens a `ConfirmDialog` and runs `onConfirm` when confirmed: the dialog stays open
 * with the error if it fails, and closes once it succeeds (the caller shows what happened).
 */
export function ConfirmAction({
  label,
  title,
  description,
  confirmLabel = label,
  typed,
  onConfirm,
  disabled,
  className = 'danger',
  accessibleName,
}: {
  label: string
  /** When the visible label is ambiguous in a list ("Remove"): "Remove provider github". */
  accessibleName?: string
  title: string
  description?: ReactNode
  confirmLabel?: string
  typed?: string
  onConfirm: () => Promise<unknown>
  disabled?: boolean
  className?: string
}) {
  const [open, setOpen] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  async function confirm() {
    setBusy(true)
    setError(null)
    try {
      await onConfirm()
      setOpen(false)
    } catch (caught) {
      setError(caught)
    } finally {
      setBusy(false)
    }
  }
  return (
    <>
      <button
        type="button"
        className={className}
        disabled={disabled}
        aria-label={accessibleName}
        onClick={() => {
          setError(null)
          setOpen(true)
        }}
      >
        {label}
      </button>
      <ConfirmDialog
        open={open}
        title={title}
        confirmLabel={confirmLabel}
        typed={typed}
        busy={busy}
        error={error}
        onConfirm={() => void confirm()}
        onClose={() => setOpen(false)}
      >
        {description}
      </ConfirmDialog>
    </>
  )
}
