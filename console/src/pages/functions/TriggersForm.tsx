import { useId, useMemo } from 'react'
import type { EventTypeInfo, ScheduleView, Trigger, TriggerType } from '../../api/functions.ts'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { knownTimeZones, rowKey, type TriggerDraft, type TriggerProblem } from './draft.ts'
import { EventFields, Field, ScheduleFields } from './TriggerFields.tsx'

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
