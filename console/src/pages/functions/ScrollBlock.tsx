import type { ReactNode } from 'react'

/** A block of JSON, logs or a stack that may scroll: a named region keyboards can reach and scroll. */
export function ScrollBlock({ label, children }: { label: string; children: ReactNode }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard.
    <section className="scroll-block" aria-label={label} tabIndex={0}>
      {children}
    </section>
  )
}
