import type { KeyboardEvent } from 'react'
import type { DraftProblems } from './draft.ts'

/** Ctrl+S / ⌘S deploys, as editors save. */
export function saveShortcut(deploy: () => void) {
  return (event: KeyboardEvent) => {
    if (event.key === 's' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault()
      deploy()
    }
  }
}

/** Where the console's checks found problems, as words for the notice. */
export function problemPlaces(problems: DraftProblems): string[] {
  const places: string[] = []
  if (problems.name) places.push('the name')
  if (problems.code) places.push('the code')
  if (Object.keys(problems.triggers).length) places.push('the triggers')
  if (Object.keys(problems.env).length) places.push('the environment')
  if (Object.keys(problems.limits).length) places.push('the limits')
  return places
}

export function ReadOnlyNote({ what }: { what: string }) {
  return (
    <p className="notice notice-info">
      You are a viewer: you can read {what}, but deploying needs a developer or owner.
    </p>
  )
}
