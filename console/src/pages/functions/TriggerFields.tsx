import { type ReactNode, useId, useMemo } from 'react'
import { widestPattern } from '../../../../services/core/subject-shape.ts'
import type { EventTypeInfo, ScheduleView, Trigger } from '../../api/functions.ts'
import { NextRuns } from '../schedules/NextRuns.tsx'
import type { TriggerProblem } from './draft.ts'

// The fields of the trigger kinds that have more than one: an event (type and subject filter) and a
// schedule (cron expression, common schedules, time zone, and the deployed schedule's next runs).

const CRON_PRESETS: readonly { label: string; cron: string }[] = [
  { label: 'Every minute', cron: '* * * * *' },
  { label: 'Every 5 minutes', cron: '*/5 * * * *' },
  { label: 'Every hour, on the hour', cron: '0 * * * *' },
  { label: 'Every day at midnight', cron: '0 0 * * *' },
  { label: 'Weekdays at 09:00', cron: '0 9 * * 1-5' },
  { label: 'Every 30 seconds (6 fields)', cron: '*/30 * * * * *' },
]

const CUSTOM = '__custom__'

/** An input's label, the input, and its hint or error (wired with aria-describedby). */
export function Field({
  label,
  hint,
  error,
  children,
}: {
  label: string
  hint?: ReactNode
  error?: string | undefined
  children: (props: { id: string; 'aria-invalid': boolean; 'aria-describedby'?: string }) => ReactNode
}) {
  const id = useId()
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ')
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({
        id,
        'aria-invalid': Boolean(error),
        ...(describedBy ? { 'aria-describedby': describedBy } : {}),
      })}
      {hint && (
        <small id={`${id}-hint`} className="field-hint">
          {hint}
        </small>
      )}
      {error && (
        <small id={`${id}-error`} className="field-error">
          {error}
        </small>
      )}
    </div>
  )
}

export function EventFields({
  trigger,
  onChange,
  eventTypes,
  problem,
  readOnly,
}: {
  trigger: Extract<Trigger, { type: 'event' }>
  onChange: (trigger: Trigger) => void
  eventTypes: readonly EventTypeInfo[] | undefined
  problem: TriggerProblem | undefined
  readOnly: boolean
}) {
  const known = eventTypes?.find((t) => t.type === trigger.event)
  const custom = eventTypes !== undefined && !known
  const groups = useMemo(() => {
    const byArea = new Map<string, EventTypeInfo[]>()
    for (const type of eventTypes ?? []) {
      const area = type.type.split('.')[0] ?? type.type
      byArea.set(area, [...(byArea.get(area) ?? []), type])
    }
    return [...byArea]
  }, [eventTypes])
  const subjectError = problem?.field === 'subject' ? problem.message : undefined
  const eventError = problem && problem.field !== 'subject' ? problem.message : undefined
  const suggestion = problem?.suggestion
  const field = problem?.field === 'subject' ? 'subject' : 'event'
  return (
    <>
      <Field
        label="Event type"
        hint={
          known
            ? known.description
            : custom
              ? 'A pattern over types: * within a segment, ** across.'
              : undefined
        }
        error={custom ? undefined : eventError}
      >
        {(props) => (
          <select
            {...props}
            value={custom ? CUSTOM : trigger.event}
            disabled={readOnly || eventTypes === undefined}
            onChange={(e) =>
              onChange({
                ...trigger,
                event:
                  e.target.value === CUSTOM
                    ? known
                      ? `${known.type.split('.')[0]}.**`
                      : ''
                    : e.target.value,
              })
            }
          >
            {eventTypes === undefined && <option value={trigger.event}>{trigger.event || 'Loading…'}</option>}
            {groups.map(([area, types]) => (
              <optgroup key={area} label={area}>
                {types.map((type) => (
                  <option key={type.type} value={type.type}>
                    {type.type}
                  </option>
                ))}
              </optgroup>
            ))}
            <option value={CUSTOM}>Pattern (glob)…</option>
          </select>
        )}
      </Field>
      {custom && (
        <Field label="Event type pattern" hint="db.document.* or storage.**" error={eventError}>
          {(props) => (
            <input
              {...props}
              value={trigger.event}
              readOnly={readOnly}
              spellCheck={false}
              onChange={(e) => onChange({ ...trigger, event: e.target.value })}
            />
          )}
        </Field>
      )}
      <Field
        label="Subject filter (optional)"
        hint={
          known ? (
            <>
              Subjects look like <code>{known.subject}</code>: <code>*</code> matches within a segment,{' '}
              <code>**</code> across segments.
            </>
          ) : (
            <>
              <code>*</code> matches within a segment, <code>**</code> across segments.
            </>
          )
        }
        error={subjectError}
      >
        {(props) => (
          <input
            {...props}
            value={trigger.subject ?? ''}
            placeholder={known ? widestPattern(known.subject) : 'collections/posts/documents/*'}
            readOnly={readOnly}
            spellCheck={false}
            onChange={(e) => onChange({ ...trigger, subject: e.target.value })}
          />
        )}
      </Field>
      {suggestion && !readOnly && (
        <button
          type="button"
          className="suggestion"
          onClick={() =>
            onChange(
              field === 'subject' ? { ...trigger, subject: suggestion } : { ...trigger, event: suggestion },
            )
          }
        >
          Use <code>{suggestion}</code>
        </button>
      )}
    </>
  )
}

export function ScheduleFields({
  trigger,
  onChange,
  problem,
  readOnly,
  zonesId,
  deployed,
}: {
  trigger: Extract<Trigger, { type: 'schedule' }>
  onChange: (trigger: Trigger) => void
  problem: TriggerProblem | undefined
  readOnly: boolean
  zonesId: string
  deployed: ScheduleView | undefined
}) {
  const preset = CRON_PRESETS.find((p) => p.cron === trigger.cron.trim())?.cron ?? ''
  return (
    <>
      <div className="field-row">
        <Field
          label="Cron expression"
          hint="minute hour day month weekday (6 fields: seconds first)"
          error={problem?.field !== 'timezone' ? problem?.message : undefined}
        >
          {(props) => (
            <input
              {...props}
              className="mono"
              value={trigger.cron}
              readOnly={readOnly}
              spellCheck={false}
              onChange={(e) => onChange({ ...trigger, cron: e.target.value })}
            />
          )}
        </Field>
        <Field label="Common schedules">
          {(props) => (
            <select
              {...props}
              value={preset}
              disabled={readOnly}
              onChange={(e) => e.target.value && onChange({ ...trigger, cron: e.target.value })}
            >
              <option value="">Custom</option>
              {CRON_PRESETS.map((p) => (
                <option key={p.cron} value={p.cron}>
                  {p.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field
          label="Time zone"
          hint="IANA name; the cron is read in it"
          error={problem?.field === 'timezone' ? problem.message : undefined}
        >
          {(props) => (
            <input
              {...props}
              list={zonesId}
              value={trigger.timezone ?? ''}
              placeholder="UTC"
              readOnly={readOnly}
              spellCheck={false}
              onChange={(e) => onChange({ ...trigger, timezone: e.target.value })}
            />
          )}
        </Field>
      </div>
      {deployed && (
        <div className="deployed-runs">
          <small className="field-hint">Next runs of the deployed schedule:</small>
          <NextRuns runs={deployed.nextRuns} timeZone={deployed.timezone} />
        </div>
      )}
    </>
  )
}
