import { type ReactNode, useEffect, useRef, useState } from 'react'

/**
 * A destructive action in two steps: the first press asks, the second (within a few seconds) acts.
 * Lighter than a dialog, and just as hard to trigger by accident; Escape or waiting cancels.
 */
export function ConfirmButton({
  onConfirm,
  children,
  confirmLabel = 'Press again to confirm',
  disabled,
  className = 'danger',
}: {
  onConfirm: () => void
  children: ReactNode
  confirmLabel?: string
  disabled?: boolean
  className?: string
}) {
  const [asking, setAsking] = useState(false)
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  useEffect(() => () => clearTimeout(timer.current), [])
  return (
    <button
      type="button"
      className={className}
      disabled={disabled}
      aria-live="polite"
      onKeyDown={(event) => {
        if (event.key === 'Escape') setAsking(false)
      }}
      onClick={() => {
        if (asking) {
          clearTimeout(timer.current)
          setAsking(false)
          onConfirm()
          return
        }
        setAsking(true)
        timer.current = setTimeout(() => setAsking(false), 5000)
      }}
    >
      {asking ? confirmLabel : children}
    </button>
  )
}
