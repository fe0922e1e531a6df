import { useQueries } from '@tanstack/react-query'
import { useEffect, useMemo, useState } from 'react'
import { checkRule, type RuleCheck } from '../../api/rules.ts'
import type { CodeProblem } from '../../ui/CodeEditor.tsx'

/** How long typing must pause before an expression is sent to be checked. */
const DEBOUNCE_MS = 300

/** `value`, once it has stopped changing for `ms`. */
export function useDebounced<T>(value: T, ms = DEBOUNCE_MS): T {
  const [settled, setSettled] = useState(value)
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms)
    return () => clearTimeout(timer)
  }, [value, ms])
  return settled
}

/** A check's error as an editor problem, at its offset (and to its end, when the server knows it). */
export function problemOf(check: RuleCheck | undefined): CodeProblem[] {
  if (!check || check.ok) return []
  const { message, position, end } = check.error
  return [
    {
      message: `Line ${position.line}, column ${position.column}: ${message}`,
      offset: position.offset,
      ...(end ? { endOffset: end.offset } : {}),
    },
  ]
}

export interface RuleCheckState {
  problems: CodeProblem[]
  /** True while the text shown has not been checked yet. */
  pending: boolean
  /** The check failed to run (network, 403…): saving then relies on the server's own check. */
  error: unknown
}

/**
 * Checks each expression with `POST /admin/v1/rules/check` as it is typed (debounced, cached by text),
 * so syntax errors show at their position before anything is saved.
 */
export function useRuleChecks(expressions: readonly string[]): RuleCheckState[] {
  // Keyed by content: the array itself is new on every render.
  const settledKey = useDebounced(JSON.stringify(expressions))
  const settled = useMemo(() => JSON.parse(settledKey) as string[], [settledKey])
  const results = useQueries({
    queries: settled.map((expression) => ({
      queryKey: ['rule-check', expression],
      queryFn: ({ signal }: { signal: AbortSignal }) => checkRule(expression, signal),
      staleTime: Number.POSITIVE_INFINITY,
      retry: false,
    })),
  })
  return expressions.map((expression, i) => {
    const result = results[i]
    const current = settled[i] === expression
    return {
      problems: current ? problemOf(result?.data) : [],
      pending: !current || (result?.isPending ?? true),
      error: current ? (result?.error ?? null) : null,
    }
  })
}
