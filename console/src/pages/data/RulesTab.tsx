import { useMutation, useQueryClient } from '@tanstack/react-query'
import { Link } from '@tanstack/react-router'
import { useMemo, useState } from 'react'
import {
  type CollectionInfo,
  type CollectionRules,
  inputOf,
  RULE_ACTIONS,
  type RuleAction,
  type RuleSource,
  saveCollection,
} from '../../api/data.ts'
import { ApiError } from '../../api/http.ts'
import { CodeEditor, type CodeProblem } from '../../ui/CodeEditor.tsx'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { useRuleChecks } from './use-rule-checks.ts'

const HINTS: Record<RuleAction, string> = {
  read: 'Reading one document and listing: auth, doc (stored data), request.method ("get" or "list").',
  create: 'Creating: auth, request.data (the new data); doc is null.',
  update: 'Replacing or merging: auth, doc (before), request.data (after the write).',
  delete: 'Deleting: auth, doc (the stored data).',
}

const textOf = (rule: RuleSource | undefined) => (rule === undefined ? 'false' : String(rule))
/** `true` and `false` are stored as booleans, everything else as the expression typed. */
const sourceOf = (text: string): RuleSource => {
  const trimmed = text.trim()
  return trimmed === 'true' ? true : trimmed === 'false' || trimmed === '' ? false : trimmed
}

/** Where a refused save (400 `request/invalid` on `rules.<action>`) puts its message. */
function savedProblem(error: unknown): { action: RuleAction; problem: CodeProblem } | null {
  if (!(error instanceof ApiError) || error.code !== 'request/invalid') return null
  const field = (error.details as { field?: unknown } | undefined)?.field
  const action = typeof field === 'string' ? field.replace(/^rules\./, '') : ''
  if (!(RULE_ACTIONS as readonly string[]).includes(action)) return null
  return { action: action as RuleAction, problem: { message: error.message, line: 1 } }
}

/**
 * A collection's four rules (CEL), each checked as it is typed with its syntax errors at their place,
 * saved together; each links to the simulator to try it.
 */
export function RulesTab({ info, writable }: { info: CollectionInfo; writable: boolean }) {
  const client = useQueryClient()
  const initial = useMemo(
    () =>
      Object.fromEntries(RULE_ACTIONS.map((a) => [a, textOf(info.rules?.[a])])) as Record<RuleAction, string>,
    [info.rules],
  )
  const [drafts, setDrafts] = useState(initial)
  const checks = useRuleChecks(RULE_ACTIONS.map((action) => drafts[action]))
  const dirty = RULE_ACTIONS.some((action) => drafts[action] !== initial[action])
  const broken = checks.some((check) => check.problems.length > 0)
  const blocked = broken || checks.some((check) => check.pending)

  const save = useMutation({
    mutationFn: () => {
      const rules = Object.fromEntries(RULE_ACTIONS.map((a) => [a, sourceOf(drafts[a])])) as CollectionRules
      return saveCollection(info, { ...inputOf(info), rules })
    },
    onSuccess: async (saved) => {
      client.setQueryData(['collection', info.name], saved)
      setDrafts(
        Object.fromEntries(RULE_ACTIONS.map((a) => [a, textOf(saved.rules?.[a])])) as Record<
          RuleAction,
          string
        >,
      )
      await client.invalidateQueries({ queryKey: ['collections'] })
    },
  })
  const refused = savedProblem(save.error)

  return (
    <section aria-labelledby="rules-title">
      <h2 id="rules-title" className="visually-hidden">
        Rules
      </h2>
      {!info.configured && (
        <p className="notice notice-warn">
          This collection has no configuration: only the service key and admins can use it. Saving rules
          configures it.
        </p>
      )}
      <p className="muted">
        Each rule is a CEL expression (or <code>true</code>/<code>false</code>) over <code>auth</code> (null,
        or <code>{'{uid, role, email, claims}'}</code>), <code>doc</code> and <code>request</code>. Syntax is
        checked as you type.
      </p>
      <div className="rules-grid">
        {RULE_ACTIONS.map((action, i) => {
          const check = checks[i]!
          const problems = [...check.problems, ...(refused?.action === action ? [refused.problem] : [])]
          return (
            <div className="rule-editor" key={action}>
              <div className="rule-editor-head">
                <h3 id={`rule-${action}`}>{action}</h3>
                <Link
                  to="/rules"
                  search={{ target: 'document', collection: info.name, operation: action }}
                  className="button"
                  aria-label={`Simulate the ${action} rule`}
                >
                  Simulate
                </Link>
              </div>
              <p className="muted rule-hint">{HINTS[action]}</p>
              <CodeEditor
                value={drafts[action]}
                onChange={(value) => setDrafts((current) => ({ ...current, [action]: value }))}
                language="text"
                label={`${action} rule`}
                problems={problems}
                readOnly={!writable}
                minHeight="3rem"
              />
              <div className="rule-status" aria-live="polite">
                {problems.length > 0 ? (
                  problems.map((problem) => (
                    <p key={problem.message} className="field-error rule-status-line">
                      {problem.message}
                    </p>
                  ))
                ) : check.pending ? (
                  <p className="muted rule-status-line">Checking…</p>
                ) : check.error ? (
                  <p className="muted rule-status-line">
                    Could not check the syntax: the server will when you save.
                  </p>
                ) : (
                  <p className="rule-ok rule-status-line">Syntax OK</p>
                )}
              </div>
            </div>
          )
        })}
      </div>
      <ErrorNotice error={refused ? null : save.error} title="Saving the rules" />
      {save.isSuccess && !dirty && (
        <p className="notice notice-ok" role="status">
          Rules saved (configuration version {save.data.version}).
        </p>
      )}
      {writable ? (
        <div className="form-actions">
          <button
            type="button"
            className="primary"
            disabled={!dirty || blocked || save.isPending}
            onClick={() => save.mutate()}
          >
            {save.isPending ? 'Saving…' : 'Save rules'}
          </button>
          <button type="button" disabled={!dirty || save.isPending} onClick={() => setDrafts(initial)}>
            Reset
          </button>
          {dirty && broken && <span className="muted">Fix the marked rules to save.</span>}
        </div>
      ) : (
        <p className="muted">Viewers can read the rules but not change them.</p>
      )}
    </section>
  )
}
