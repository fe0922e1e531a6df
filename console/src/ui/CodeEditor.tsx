import { javascript } from '@codemirror/lang-javascript'
import { json } from '@codemirror/lang-json'
import { type Diagnostic, linter, lintGutter } from '@codemirror/lint'
import { Compartment, EditorState, type Extension } from '@codemirror/state'
import { EditorView } from '@codemirror/view'
import { basicSetup } from 'codemirror'
import { useEffect, useRef } from 'react'
import { consoleEditorTheme } from './code-theme.ts'

export type CodeLanguage = 'javascript' | 'typescript' | 'json' | 'text'

/** A problem to mark in the editor: at a 1-based line (and column), or at a character offset. */
export interface CodeProblem {
  message: string
  line?: number
  column?: number
  offset?: number
  /** With `offset`: where the marked part ends (exclusive); one character when absent. */
  endOffset?: number
  severity?: 'error' | 'warning'
}

function languageOf(language: CodeLanguage): Extension {
  switch (language) {
    case 'javascript':
      return javascript()
    case 'typescript':
      return javascript({ typescript: true })
    case 'json':
      return json()
    case 'text':
      return []
  }
}

/**
 * CodeMirror writes its styles into a `<style>` element, which the console's CSP allows only with the
 * page's nonce (the server puts it in `<meta name="csp-nonce">`). Every editor view needs this extension.
 */
export function cspNonce(): Extension {
  const nonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content
  return nonce ? EditorView.cspNonce.of(nonce) : []
}

/** Where a problem sits in the document, clamped to it. */
export function problemRange(state: EditorState, problem: CodeProblem): { from: number; to: number } {
  const doc = state.doc
  if (problem.offset !== undefined) {
    const from = Math.max(0, Math.min(problem.offset, doc.length))
    const end = problem.endOffset !== undefined && problem.endOffset > from ? problem.endOffset : from + 1
    return { from, to: Math.min(end, doc.length) }
  }
  const lineNumber = Math.max(1, Math.min(problem.line ?? 1, doc.lines))
  const line = doc.line(lineNumber)
  const from = Math.min(line.from + Math.max(0, (problem.column ?? 1) - 1), line.to)
  return { from, to: problem.column ? Math.min(from + 1, line.to) : line.to }
}

function diagnostics(problems: readonly CodeProblem[]) {
  return (view: EditorView): Diagnostic[] =>
    problems.map((problem) => ({
      ...problemRange(view.state, problem),
      severity: problem.severity ?? 'error',
      message: problem.message,
    }))
}

/**
 * CodeMirror 6 as a controlled React input: `value` in, `onChange` out, problems (deploy errors, rule
 * syntax errors) marked at their line. `label` names the editor for assistive technology.
 */
export function CodeEditor({
  value,
  onChange,
  language,
  label,
  problems = [],
  readOnly = false,
  minHeight = '12rem',
}: {
  value: string
  onChange?: (value: string) => void
  language: CodeLanguage
  label: string
  problems?: readonly CodeProblem[]
  readOnly?: boolean
  minHeight?: string
}) {
  const holder = useRef<HTMLDivElement>(null)
  const view = useRef<EditorView | null>(null)
  const lint = useRef(new Compartment())
  const changed = useRef(onChange)
  changed.current = onChange

  // biome-ignore lint/correctness/useExhaustiveDependencies: the editor is created once per language and mode; value and problems flow in below.
  useEffect(() => {
    if (!holder.current) return
    const editor = new EditorView({
      parent: holder.current,
      state: EditorState.create({
        doc: value,
        extensions: [
          cspNonce(),
          consoleEditorTheme,
          basicSetup,
          languageOf(language),
          lintGutter(),
          lint.current.of(linter(diagnostics(problems), { delay: 0 })),
          EditorState.readOnly.of(readOnly),
          EditorView.editable.of(!readOnly),
          // tabindex: a read-only editor is not contenteditable, and keyboard users must still reach
          // (and scroll) its text.
          EditorView.contentAttributes.of({ 'aria-label': label, tabindex: '0' }),
          EditorView.theme({ '&': { minHeight }, '.cm-scroller': { minHeight } }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) changed.current?.(update.state.doc.toString())
          }),
        ],
      }),
    })
    view.current = editor
    return () => {
      editor.destroy()
      view.current = null
    }
  }, [language, readOnly, label, minHeight])

  // A value set from outside (a loaded version, a reset) replaces the text; typing does not come back here.
  useEffect(() => {
    const editor = view.current
    if (!editor) return
    const current = editor.state.doc.toString()
    if (current !== value) editor.dispatch({ changes: { from: 0, to: current.length, insert: value } })
  }, [value])

  useEffect(() => {
    view.current?.dispatch({ effects: lint.current.reconfigure(linter(diagnostics(problems), { delay: 0 })) })
  }, [problems])

  return <div ref={holder} className="code-editor" />
}
