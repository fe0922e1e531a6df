import { useMutation, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { publishMessage } from '../../api/queues.ts'
import { canWrite } from '../../api/session.ts'
import { useAdmin } from '../../app/session.tsx'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'

/** The payload as JSON, or a message saying what is wrong with it. */
export function parsePayload(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  if (!text.trim()) return { ok: false, message: 'The payload is empty: write JSON, e.g. {"hello": "world"}' }
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (error) {
    return { ok: false, message: `The payload is not JSON: ${(error as Error).message}` }
  }
}

export function PublishForm() {
  const admin = useAdmin()
  const client = useQueryClient()
  const [queue, setQueue] = useState('')
  const [payload, setPayload] = useState('{\n  "hello": "world"\n}')
  const [delay, setDelay] = useState('')
  const [problem, setProblem] = useState<string | null>(null)
  const publish = useMutation({
    mutationFn: (input: { queue: string; payload: unknown; delayMs?: number }) =>
      publishMessage(input.queue, {
        payload: input.payload,
        ...(input.delayMs ? { delayMs: input.delayMs } : {}),
      }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['queues'] }),
  })

  function submit(event: FormEvent) {
    event.preventDefault()
    const parsed = parsePayload(payload)
    if (!parsed.ok) {
      setProblem(parsed.message)
      return
    }
    setProblem(null)
    const delayMs = delay ? Number(delay) : undefined
    publish.mutate({ queue: queue.trim(), payload: parsed.value, ...(delayMs ? { delayMs } : {}) })
  }

  const writable = canWrite(admin)
  return (
    <section className="panel" aria-labelledby="publish-title">
      <h2 id="publish-title">Publish a test message</h2>
      {!writable && <p className="muted">Viewers cannot publish messages.</p>}
      <form onSubmit={submit} className="publish-form">
        <div className="field-row">
          <label className="field">
            <span>Queue</span>
            <input
              required
              pattern="[A-Za-z0-9_\-]{1,100}"
              title="Letters, digits, _ and -, up to 100"
              value={queue}
              onChange={(e) => setQueue(e.target.value)}
              disabled={!writable}
            />
          </label>
          <label className="field">
            <span>Delay (ms)</span>
            <input
              type="number"
              min={0}
              value={delay}
              onChange={(e) => setDelay(e.target.value)}
              disabled={!writable}
            />
          </label>
        </div>
        <label className="field">
          <span>Payload (JSON)</span>
          <textarea
            rows={5}
            value={payload}
            onChange={(e) => setPayload(e.target.value)}
            disabled={!writable}
          />
        </label>
        {problem && (
          <div className="notice notice-error" role="alert">
            {problem}
          </div>
        )}
        <ErrorNotice error={publish.error} title="Not published" />
        {publish.data && (
          <p className="notice notice-ok" role="status">
            Published message <code>{publish.data.id}</code>.
          </p>
        )}
        <button type="submit" className="primary" disabled={!writable || publish.isPending}>
          Publish
        </button>
      </form>
    </section>
  )
}
