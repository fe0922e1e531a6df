import { type ReactNode, useId, useMemo } from 'react'
import type { EventTypeInfo, ScheduleView, Trigger, TriggerType } from '../../api/functions.ts'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { NextRuns } from '../schedules/NextRuns.tsx'
import { knownTimeZones, rowKey, type TriggerDraft, type TriggerProblem } from './draft.ts'
import { widestPattern } from './subject-glob.ts'

const KIND_LABEL: Record<TriggerType, string> = {
  http: 'HTTP',
  event: 'Event',
  schedule: 'Schedule',
  queue: 'Queue',
}

const NEW_TRIGGER: Record<TriggerType, Trigger> = {
  http: { type: 'http', public: false },
  event: { type: 'event', event: 'db.document.created' },
  schedule: { type: 'schedule', cron: '*/5 * * * *', timezone: 'UTC' },
  queue: { type: 'queue', queue: '' },
}

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
function Field({
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

function EventFields({
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

function ScheduleFields({
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

/**
 * The triggers of a function, one fieldset each (HTTP, event, schedule, queue), checked as they are
 * typed (`problems`, from the draft's checks or the server's answer to a deploy).
 */
export function TriggersForm({
  triggers,
  onChange,
  eventTypes,
  eventTypesError,
  problems,
  readOnly,
  schedules = [],
}: {
  triggers: readonly TriggerDraft[]
  onChange: (triggers: TriggerDraft[]) => void
  eventTypes: readonly EventTypeInfo[] | undefined
  eventTypesError?: unknown
  problems: Record<number, TriggerProblem>
  readOnly: boolean
  /** The deployed schedules of this function, to show their next runs. */
  schedules?: readonly ScheduleView[]
}) {
  const zonesId = useId()
  const zones = useMemo(() => knownTimeZones(), [])
  const replace = (index: number, trigger: Trigger) =>
    onChange(triggers.map((t, i) => (i === index ? { ...t, trigger } : t)))
  const remove = (index: number) => onChange(triggers.filter((_, i) => i !== index))
  const add = (type: TriggerType) => onChange([...triggers, { key: rowKey(), trigger: NEW_TRIGGER[type] }])

  return (
    <div className="triggers">
      <ErrorNotice error={eventTypesError} title="Event types" />
      {triggers.length === 0 && (
        <p className="muted">
          No trigger: the function only runs when an operator re-runs one of its executions.
        </p>
      )}
      {triggers.map(({ key, trigger }, index) => {
        const problem = problems[index]
        const deployed =
          trigger.type === 'schedule'
            ? schedules.find(
                (s) =>
                  (s.index === undefined || s.index === index) &&
                  s.cron === trigger.cron.trim() &&
                  s.timezone === (trigger.timezone?.trim() || 'UTC'),
              )
            : undefined
        return (
          <fieldset key={key} className="trigger" aria-invalid={problem ? true : undefined}>
            <legend>
              Trigger {index + 1}: {KIND_LABEL[trigger.type]}
            </legend>
            {!readOnly && (
              <button
                type="button"
                className="trigger-remove"
                aria-label={`Remove trigger ${index + 1}`}
                onClick={() => remove(index)}
              >
                Remove
              </button>
            )}
            {trigger.type === 'http' && (
              <label className="check">
                <input
                  type="checkbox"
                  checked={trigger.public === true}
                  disabled={readOnly}
                  onChange={(e) => replace(index, { type: 'http', public: e.target.checked })}
                />
                Public: callable without a token
              </label>
            )}
            {trigger.type === 'event' && (
              <EventFields
                trigger={trigger}
                onChange={(t) => replace(index, t)}
                eventTypes={eventTypes}
                problem={problem}
                readOnly={readOnly}
              />
            )}
            {trigger.type === 'schedule' && (
              <ScheduleFields
                trigger={trigger}
                onChange={(t) => replace(index, t)}
                problem={problem}
                readOnly={readOnly}
                zonesId={zonesId}
                deployed={deployed}
              />
            )}
            {trigger.type === 'queue' && (
              <Field
                label="Queue"
                hint="Each message published to it runs the function."
                error={problem?.message}
              >
                {(props) => (
                  <input
                    {...props}
                    value={trigger.queue}
                    placeholder="emails"
                    readOnly={readOnly}
                    spellCheck={false}
                    onChange={(e) => replace(index, { type: 'queue', queue: e.target.value })}
                  />
                )}
              </Field>
            )}
            {trigger.type === 'http' && problem && <small className="field-error">{problem.message}</small>}
          </fieldset>
        )
      })}
      {!readOnly && (
        <div className="add-trigger">
          {(Object.keys(KIND_LABEL) as TriggerType[]).map((type) => (
            <button key={type} type="button" onClick={() => add(type)}>
              Add {KIND_LABEL[type]} trigger
            </button>
          ))}
        </div>
      )}
      <datalist id={zonesId}>
        {zones.map((zone) => (
          <option key={zone} value={zone} />
        ))}
      </datalist>
    </div>
  )
}
