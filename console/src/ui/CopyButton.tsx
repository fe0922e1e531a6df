import { useEffect, useRef, useState } from 'react'

/**
 * Copies `text` to the clipboard and says so (politely, to screen readers too). Where the clipboard is
 * refused (no focus, no permission), it says that instead: the text is on screen to copy by hand.
 */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle')
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  useEffect(() => () => clearTimeout(timer.current), [])
  async function copy() {
    clearTimeout(timer.current)
    try {
      await navigator.clipboard.writeText(text)
      setState('copied')
    } catch {
      setState('failed')
    }
    timer.current = setTimeout(() => setState('idle'), 4000)
  }
  return (
    <span className="copy-button">
      <button type="button" onClick={() => void copy()}>
        {label}
      </button>
      <span role="status" className="muted">
        {state === 'copied'
          ? 'Copied'
          : state === 'failed'
            ? 'Copy refused: select the text and copy it'
            : ''}
      </span>
    </span>
  )
}
