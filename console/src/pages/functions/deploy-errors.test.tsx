import { render, screen, waitFor } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { ApiError } from '../../api/http.ts'
import './test-dom.ts'
import { CodePane } from './CodePane.tsx'
import { codePosition, deployFeedback } from './deploy-errors.ts'

const CODE = 'export default async (event) => {\n  const x = ;\n}\n'

describe('deploy errors', () => {
  it('puts a syntax error at the line and column the server gives', () => {
    const error = new ApiError(
      400,
      'functions/invalid-code',
      "Invalid module: SyntaxError: Unexpected token ';'",
      {
        line: 2,
        column: 13,
      },
    )
    expect(deployFeedback(error).code).toEqual([
      { message: "Invalid module: SyntaxError: Unexpected token ';'", line: 2, column: 13 },
    ])
  })

  it("reads the engine's [file:line:column] when the details give no position", () => {
    const error = new ApiError(
      400,
      'functions/invalid-code',
      "SyntaxError: Unexpected identifier 'bar' [fn.js:4:7]",
    )
    expect(codePosition(error)).toEqual({ line: 4, column: 7 })
    expect(deployFeedback(error).code[0]).toMatchObject({
      line: 4,
      column: 7,
      message: "SyntaxError: Unexpected identifier 'bar'",
    })
  })

  it('marks the first line when the code is refused with no position at all', () => {
    const error = new ApiError(400, 'functions/invalid-code', 'The module has no default function export')
    expect(deployFeedback(error).code).toEqual([
      { message: 'The module has no default function export', line: 1 },
    ])
  })

  it("puts an invalid trigger at its index, with the server's suggestion", () => {
    const error = new ApiError(400, 'functions/invalid-trigger', 'Trigger 1: subject never matches', {
      index: 1,
      field: 'subject',
      suggestion: 'collections/posts/documents/*',
    })
    expect(deployFeedback(error).triggers).toEqual({
      1: {
        message: 'Trigger 1: subject never matches',
        field: 'subject',
        suggestion: 'collections/posts/documents/*',
      },
    })
  })

  it('sorts schema errors onto triggers and limits by their path', () => {
    const error = new ApiError(400, 'request/invalid', 'Invalid request body', [
      { location: 'body', path: '/triggers/0/queue', message: 'must match pattern' },
      { location: 'body', path: '/timeoutMs', message: 'must be <= 900000' },
    ])
    const feedback = deployFeedback(error)
    expect(feedback.triggers[0]).toEqual({ message: 'queue must match pattern', field: 'queue' })
    expect(feedback.limits).toEqual({ timeoutMs: 'must be <= 900000' })
  })

  it('finds the schedule whose cron expression the server quotes', () => {
    const error = new ApiError(400, 'request/invalid', 'Invalid cron expression "61 * * * *": 5 fields, or 6')
    const feedback = deployFeedback(error, [{ type: 'http' }, { type: 'schedule', cron: '61 * * * *' }])
    expect(feedback.triggers).toEqual({ 1: { message: error.message, field: 'cron' } })
  })

  it('shows the problem in the editor at its line, and as text', async () => {
    const problems = deployFeedback(
      new ApiError(400, 'functions/invalid-code', "SyntaxError: Unexpected token ';'", {
        line: 2,
        column: 13,
      }),
    ).code
    const { container } = render(
      <CodePane code={CODE} onChange={() => {}} problems={problems} readOnly={false} />,
    )
    expect(screen.getByRole('list', { name: 'Problems in the code' }).textContent).toContain(
      "Line 2, column 13: SyntaxError: Unexpected token ';'",
    )
    // CodeMirror underlines the range and marks the gutter of line 2 (the linter runs after a tick).
    await waitFor(() => expect(container.querySelector('.cm-lintRange-error')).not.toBeNull())
    const marked = container.querySelector('.cm-lintRange-error')!
    expect(marked.closest('.cm-line')?.textContent).toBe('  const x = ;')
    expect(marked.textContent).toBe(';')
  })
})
