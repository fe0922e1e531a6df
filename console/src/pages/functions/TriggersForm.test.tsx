import { render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { useState } from 'react'
import { describe, expect, it } from 'vitest'
import { FALLBACK_EVENT_TYPES, type Trigger } from '../../api/functions.ts'
import { type TriggerDraft, type TriggerProblem, triggerDrafts, triggerProblem } from './draft.ts'
import { TriggersForm } from './TriggersForm.tsx'

let latest: Trigger[] = []

/** The form as the editor uses it: its own checks live, the server's answer on top. */
function Harness({
  initial,
  server = {},
  readOnly = false,
}: {
  initial: Trigger[]
  server?: Record<number, TriggerProblem>
  readOnly?: boolean
}) {
  const [triggers, setTriggers] = useState<TriggerDraft[]>(() => triggerDrafts(initial))
  latest = triggers.map((t) => t.trigger)
  const problems: Record<number, TriggerProblem> = { ...server }
  triggers.forEach((t, i) => {
    const problem = triggerProblem(t.trigger, FALLBACK_EVENT_TYPES)
    if (problem) problems[i] ??= problem
  })
  return (
    <TriggersForm
      triggers={triggers}
      onChange={setTriggers}
      eventTypes={FALLBACK_EVENT_TYPES}
      problems={problems}
      readOnly={readOnly}
    />
  )
}

const group = (name: string) => screen.getByRole('group', { name })

describe('TriggersForm', { timeout: 30_000 }, () => {
  it('adds, edits and removes a trigger of each kind', async () => {
    const user = userEvent.setup()
    render(<Harness initial={[]} />)
    for (const kind of ['HTTP', 'Event', 'Schedule', 'Queue'])
      await user.click(screen.getByRole('button', { name: `Add ${kind} trigger` }))
    expect(
      screen.getAllByRole('group', { name: /^Trigger \d/ }).map((g) => g.textContent?.slice(0, 18)),
    ).toEqual(['Trigger 1: HTTPRem', 'Trigger 2: EventRe', 'Trigger 3: Schedul', 'Trigger 4: QueueRe'])

    await user.click(within(group('Trigger 1: HTTP')).getByRole('checkbox', { name: /Public/ }))
    const queue = within(group('Trigger 4: Queue')).getByRole('textbox', { name: 'Queue' })
    await user.type(queue, 'emails')
    await user.click(screen.getByRole('button', { name: 'Remove trigger 2' }))

    expect(latest).toEqual([
      { type: 'http', public: true },
      { type: 'schedule', cron: '*/5 * * * *', timezone: 'UTC' },
      { type: 'queue', queue: 'emails' },
    ])
    expect(group('Trigger 2: Schedule')).toBeTruthy()
  })

  it('checks a subject glob against the event type’s subject shape and offers a pattern that fits', async () => {
    const user = userEvent.setup()
    render(<Harness initial={[{ type: 'event', event: 'auth.user.created' }]} />)
    const trigger = group('Trigger 1: Event')
    await user.selectOptions(
      within(trigger).getByRole('combobox', { name: 'Event type' }),
      'db.document.created',
    )
    expect(within(trigger).getByText('A document was created.')).toBeTruthy()
    expect(within(trigger).getByText('collections/{collection}/documents/{id}')).toBeTruthy()

    const subject = within(trigger).getByRole('textbox', { name: 'Subject filter (optional)' })
    await user.type(subject, 'collections/posts/*')
    expect(subject.getAttribute('aria-invalid')).toBe('true')
    expect(within(trigger).getByText(/never matches a subject of db\.document\.created/)).toBeTruthy()

    await user.click(within(trigger).getByRole('button', { name: 'Use collections/posts/documents/*' }))
    expect(latest).toEqual([
      { type: 'event', event: 'db.document.created', subject: 'collections/posts/documents/*' },
    ])
    expect(subject.getAttribute('aria-invalid')).toBe('false')
  })

  it('accepts an event type pattern and says when it matches no type', async () => {
    const user = userEvent.setup()
    render(<Harness initial={[{ type: 'event', event: 'db.document.created' }]} />)
    const trigger = group('Trigger 1: Event')
    await user.selectOptions(within(trigger).getByRole('combobox', { name: 'Event type' }), 'Pattern (glob)…')
    const pattern = within(trigger).getByRole('textbox', { name: 'Event type pattern' })
    expect((pattern as HTMLInputElement).value).toBe('db.**')
    await user.clear(pattern)
    await user.type(pattern, 'db.documents.*')
    expect(within(trigger).getByText('No event type matches "db.documents.*".')).toBeTruthy()
    await user.clear(pattern)
    await user.type(pattern, 'storage.object.*')
    expect(pattern.getAttribute('aria-invalid')).toBe('false')
  })

  it('says what is wrong with a cron expression or a time zone before the server does', async () => {
    const user = userEvent.setup()
    render(<Harness initial={[{ type: 'schedule', cron: '0 9 * * 1-5', timezone: 'Europe/Paris' }]} />)
    const trigger = group('Trigger 1: Schedule')
    expect(within(trigger).getByRole('combobox', { name: 'Common schedules' })).toHaveProperty(
      'value',
      '0 9 * * 1-5',
    )
    const cron = within(trigger).getByRole('textbox', { name: 'Cron expression' })
    await user.clear(cron)
    await user.type(cron, '*/5 * *')
    expect(within(trigger).getByText(/has 5 fields .* this one has 3/)).toBeTruthy()
    await user.selectOptions(
      within(trigger).getByRole('combobox', { name: 'Common schedules' }),
      'Every minute',
    )
    expect(cron).toHaveProperty('value', '* * * * *')

    const zone = within(trigger).getByRole('combobox', { name: 'Time zone' })
    await user.clear(zone)
    await user.type(zone, 'Mars/Olympus')
    expect(
      within(trigger).getByText('Unknown time zone "Mars/Olympus" (an IANA name such as Europe/Paris).'),
    ).toBeTruthy()
  })

  it("shows the server's functions/invalid-trigger answer at its trigger, with its suggestion", async () => {
    const user = userEvent.setup()
    render(
      <Harness
        initial={[{ type: 'http' }, { type: 'event', event: 'storage.object.created', subject: 'avatars/*' }]}
        server={{
          1: {
            message: 'Trigger 1: subject "avatars/*" never matches a subject of storage.object.created',
            field: 'subject',
            suggestion: 'buckets/avatars/objects/**',
          },
        }}
      />,
    )
    const trigger = group('Trigger 2: Event')
    expect(within(trigger).getByText(/never matches a subject of storage\.object\.created/)).toBeTruthy()
    await user.click(within(trigger).getByRole('button', { name: 'Use buckets/avatars/objects/**' }))
    expect(latest[1]).toEqual({
      type: 'event',
      event: 'storage.object.created',
      subject: 'buckets/avatars/objects/**',
    })
  })

  it('is read-only for viewers: no add or remove, inputs locked', () => {
    render(
      <Harness
        readOnly
        initial={[
          { type: 'queue', queue: 'emails' },
          { type: 'http', public: true },
        ]}
      />,
    )
    expect(screen.queryByRole('button', { name: /Add .* trigger/ })).toBeNull()
    expect(screen.queryByRole('button', { name: /Remove/ })).toBeNull()
    expect(screen.getByRole('textbox', { name: 'Queue' })).toHaveProperty('readOnly', true)
    expect(screen.getByRole('checkbox', { name: /Public/ })).toHaveProperty('disabled', true)
  })
})
