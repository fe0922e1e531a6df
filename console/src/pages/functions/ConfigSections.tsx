import type { EventTypeInfo, ScheduleView } from '../../api/functions.ts'
import type { DraftProblems, FunctionDraft } from './draft.ts'
import { EnvEditor } from './EnvEditor.tsx'
import { LimitsForm } from './LimitsForm.tsx'
import { TriggersForm } from './TriggersForm.tsx'

/** Triggers, environment and limits of a draft, one panel each. */
export function ConfigSections({
  draft,
  onChange,
  problems,
  envProblem,
  eventTypes,
  eventTypesError,
  schedules,
  readOnly,
}: {
  draft: FunctionDraft
  onChange: (draft: FunctionDraft) => void
  problems: DraftProblems
  /** A problem with the environment as a whole (from the server). */
  envProblem?: string | undefined
  eventTypes: readonly EventTypeInfo[] | undefined
  eventTypesError?: unknown
  schedules?: readonly ScheduleView[]
  readOnly: boolean
}) {
  return (
    <>
      <section className="panel" aria-labelledby="triggers-title">
        <h2 id="triggers-title">Triggers</h2>
        <p className="muted small">
          What runs the function: HTTP calls, platform events, a schedule, queue messages.
        </p>
        <TriggersForm
          triggers={draft.triggers}
          onChange={(triggers) => onChange({ ...draft, triggers })}
          eventTypes={eventTypes}
          eventTypesError={eventTypesError}
          problems={problems.triggers}
          readOnly={readOnly}
          {...(schedules ? { schedules } : {})}
        />
      </section>
      <section className="panel" aria-labelledby="env-title">
        <h2 id="env-title">Environment</h2>
        <p className="muted small">
          Read by the code as <code>ctx.env.NAME</code>.{' '}
          {!readOnly && draft.env.some((row) => row.hidden)
            ? 'The server never shows the values it keeps (••••): a deploy sends every value, so enter those again, or remove them.'
            : 'Values are masked; reveal one to check it.'}
        </p>
        {envProblem && (
          <p className="field-error" role="alert">
            {envProblem}
          </p>
        )}
        <EnvEditor
          rows={draft.env}
          onChange={(env) => onChange({ ...draft, env })}
          problems={problems.env}
          readOnly={readOnly}
        />
      </section>
      <section className="panel" aria-labelledby="limits-title">
        <h2 id="limits-title">Limits</h2>
        <LimitsForm
          limits={draft.limits}
          onChange={(limits) => onChange({ ...draft, limits })}
          problems={problems.limits}
          readOnly={readOnly}
        />
      </section>
    </>
  )
}
