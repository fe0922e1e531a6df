import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useMemo, useState } from 'react'
import { type DeployInput, deployFunction, type EventTypeInfo } from '../../api/functions.ts'
import type { CodeProblem } from '../../ui/CodeEditor.tsx'
import { type DeployFeedback, deployFeedback } from './deploy-errors.ts'
import { checkDraft, type DraftProblems, type FunctionDraft, hasProblems, toDeployInput } from './draft.ts'
import { keys } from './queries.ts'

const NO_PROBLEMS: CodeProblem[] = []

/**
 * Deploying a draft: the console's own checks first (shown live, and all of them after a first try),
 * then `PUT /admin/v1/functions/{name}`, whose refusal is sorted back onto the code, triggers and limits.
 */
export function useDeploy({
  name,
  draft,
  eventTypes,
  checkName,
  taken,
  active = true,
  onDeployed,
}: {
  name: string
  draft: FunctionDraft
  eventTypes: readonly EventTypeInfo[] | undefined
  /** Check the name too (a new function). */
  checkName: boolean
  /** Names in use: a new function may not take one (its deploy would replace that function). */
  taken?: readonly string[] | undefined
  /** False for an admin who may not deploy: nothing to fix, then. */
  active?: boolean
  onDeployed?: (result: { name: string; version: number }, input: DeployInput) => void
}) {
  const client = useQueryClient()
  const [attempted, setAttempted] = useState(false)
  const [feedback, setFeedback] = useState<DeployFeedback | null>(null)
  const local = useMemo(() => {
    const problems = checkDraft(draft, eventTypes, checkName ? name : undefined)
    if (checkName && !problems.name && taken?.includes(name))
      problems.name = `A function named ${name} exists already: deploying here would replace its live version.`
    return problems
  }, [draft, eventTypes, checkName, name, taken])
  const mutation = useMutation({
    mutationFn: (input: DeployInput) => deployFunction(name, input),
    onSuccess: async (result, input) => {
      setFeedback(null)
      setAttempted(false)
      onDeployed?.(result, input)
      await client.invalidateQueries({ queryKey: keys.all })
    },
    onError: (error, input) => setFeedback(deployFeedback(error, input.triggers)),
  })

  const problems: DraftProblems = active
    ? {
        triggers: { ...local.triggers, ...feedback?.triggers },
        // A value the server hides is only a problem once a deploy needs it.
        env: attempted
          ? local.env
          : Object.fromEntries(Object.entries(local.env).filter(([i]) => !draft.env[Number(i)]?.hidden)),
        limits: { ...local.limits, ...feedback?.limits },
      }
    : { triggers: {}, env: {}, limits: {} }
  if (active && local.name && (attempted || name !== '')) problems.name = local.name
  if (active && local.code && attempted) problems.code = local.code

  return {
    problems,
    codeProblems: feedback?.code.length ? feedback.code : NO_PROBLEMS,
    envProblem: feedback?.env,
    /** The console's checks refused the last try: nothing was sent. */
    blocked: attempted && hasProblems(local),
    mutation,
    deploy(): void {
      setAttempted(true)
      if (hasProblems(local)) return
      mutation.mutate(toDeployInput(draft))
    },
    /** The draft changed: what the server said about the previous one no longer applies. */
    edited(): void {
      if (feedback) setFeedback(null)
      if (!mutation.isPending && !mutation.isIdle) mutation.reset()
    },
  }
}
