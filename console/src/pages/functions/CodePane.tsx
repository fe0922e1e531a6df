import { CodeEditor, type CodeProblem } from '../../ui/CodeEditor.tsx'

/** The function's module in the editor, and its problems as text too (the gutter marks are visual). */
export function CodePane({
  code,
  onChange,
  problems,
  readOnly,
  missing,
}: {
  code: string
  onChange: (code: string) => void
  problems: readonly CodeProblem[]
  readOnly: boolean
  /** The console's own complaint (no code at all). */
  missing?: string | undefined
}) {
  return (
    <div className="code-pane">
      <CodeEditor
        value={code}
        onChange={onChange}
        language="javascript"
        label="Function code"
        problems={problems}
        readOnly={readOnly}
        minHeight="22rem"
      />
      {missing && (
        <p className="field-error" role="alert">
          {missing}
        </p>
      )}
      {problems.length > 0 && (
        <ul className="code-problems" aria-label="Problems in the code">
          {problems.map((problem) => (
            <li key={`${problem.line}:${problem.column}:${problem.message}`}>
              <strong>
                Line {problem.line}
                {problem.column ? `, column ${problem.column}` : ''}:
              </strong>{' '}
              {problem.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}
