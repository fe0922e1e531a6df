import { defaultHighlightStyle, HighlightStyle, syntaxHighlighting } from '@codemirror/language'
import type { Extension } from '@codemirror/state'
import { EditorView } from '@codemirror/view'

/**
 * CodeMirror's default token colours are for a light background. Each becomes a CSS variable with the
 * default as its fallback, so styles.css can give the dark theme its own (readable) set, and an editor
 * follows the console's theme when it changes, without being rebuilt.
 */
const TOKEN_VARIABLES: Record<string, string> = {
  '#404740': '--code-meta',
  '#708': '--code-keyword',
  '#219': '--code-atom',
  '#164': '--code-literal',
  '#a11': '--code-string',
  '#e40': '--code-regexp',
  '#00f': '--code-definition',
  '#30a': '--code-local',
  '#085': '--code-type',
  '#167': '--code-class',
  '#256': '--code-special',
  '#00c': '--code-property',
  '#940': '--code-comment',
  '#f00': '--code-invalid',
}

const highlight = HighlightStyle.define(
  defaultHighlightStyle.specs.map((spec) => {
    const color = typeof spec.color === 'string' ? TOKEN_VARIABLES[spec.color] : undefined
    return color ? { ...spec, color: `var(${color}, ${spec.color})` } : spec
  }),
)

/** The editor's own surfaces in the console's colours (gutters, cursor, selection, active line). */
const chrome = EditorView.theme({
  '&': { backgroundColor: 'var(--surface)', color: 'var(--text)' },
  '.cm-content': { caretColor: 'var(--text)' },
  '.cm-cursor, .cm-dropCursor': { borderLeftColor: 'var(--text)' },
  '.cm-gutters': {
    backgroundColor: 'var(--surface-2)',
    color: 'var(--muted)',
    borderRight: '1px solid var(--border)',
  },
  '.cm-activeLine': { backgroundColor: 'color-mix(in srgb, var(--accent) 8%, transparent)' },
  '.cm-activeLineGutter': { backgroundColor: 'color-mix(in srgb, var(--accent) 14%, transparent)' },
  '&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, .cm-content ::selection':
    { backgroundColor: 'color-mix(in srgb, var(--accent) 30%, transparent)' },
  '.cm-tooltip': {
    backgroundColor: 'var(--surface)',
    color: 'var(--text)',
    border: '1px solid var(--border)',
  },
  '.cm-panels': { backgroundColor: 'var(--surface-2)', color: 'var(--text)' },
})

/** Token colours and editor surfaces that follow the console's light and dark themes. */
export const consoleEditorTheme: Extension = [chrome, syntaxHighlighting(highlight)]
