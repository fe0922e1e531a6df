import { useMutation, useQuery } from '@tanstack/react-query'
import { type FormEvent, useId, useState } from 'react'
import { type Execution, getExecution, listExecutions } from '../../api/functions.ts'
import { ApiError } from '../../api/http.ts'
import { type InvokeResult, invokeFunction } from '../../api/invoke.ts'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { duration } from '../../ui/format.ts'
import { LogLines } from './LogLines.tsx'
import { keys } from './queries.ts'
import { ScrollBlock } from './ScrollBlock.tsx'

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const

/** `name: value` lines → headers; the first line that is not one is the error. */
export function parseHeaders(text: string): { headers: Record<string, string> } | { error: string } {
  const headers: Record<string, string> = {}
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim()
    if (line === '') continue
    const colon = line.indexOf(':')
    const name = colon > 0 ? line.slice(0, colon).trim() : ''
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
      return { error: `Header line ${i + 1} is not "name: value".` }
    headers[name.toLowerCase()] = line.slice(colon + 1).trim()
  }
  return { headers }
}

/**
 * The execution record of an invocation: `GET /admin/v1/executions/{id}`, or the newest HTTP executions
 * on servers without that route. Records are written a few milliseconds after the answer, so a missing
 * one is a 404 worth retrying.
 */
async function executionOf(name: string, id: string, signal: AbortSignal): Promise<Execution> {
  try {
    return await getExecution(id, signal)
  } catch (error) {
    if (!(error instanceof ApiError && error.code === 'request/not-found')) throw error
  }
  const page = await listExecutions(name, { trigger: 'http', limit: 20 }, signal)
  const found = page.executions.find((e) => e.id === id)
  if (!found) throw new ApiError(404, 'functions/not-found', 'The execution is not recorded yet')
  return found
}

function statusClass(status: number): string {
  if (status < 300) return 'badge-ok'
  if (status < 500) return 'badge-degraded'
  return 'badge-down'
}

function ResponseView({ name, result }: { name: string; result: InvokeResult }) {
  const record = useQuery({
    queryKey: keys.execution(result.executionId ?? 'none'),
    queryFn: ({ signal }) => executionOf(name, result.executionId!, signal),
    enabled: result.executionId !== null,
    retry: (count, error) => count < 15 && error instanceof ApiError && error.status === 404,
    retryDelay: 200,
  })
  const body = typeof result.body === 'string' ? result.body : JSON.stringify(result.body, null, 2)
  return (
    <div className="invoke-result" aria-live="polite">
      <p className="invoke-status">
        <span className={`badge ${statusClass(result.status)}`} data-testid="invoke-status">
          {result.status}
        </span>{' '}
        <span>{duration(result.durationMs)} round trip</span>
        {record.data && (
          <>
            {' · '}
            <span>{duration(record.data.durationMs)} in the function</span>
            {record.data.coldStart && <span className="badge">cold start</span>}
          </>
        )}
      </p>
      {result.executionId && (
        <p className="muted small">
          Execution <code>{result.executionId}</code>
        </p>
      )}
      <h3>Body</h3>
      <ScrollBlock label="Response body">
        <pre className="code-block" data-testid="invoke-body">
          {body === '' ? '(empty)' : body}
        </pre>
      </ScrollBlock>
      <details>
        <summary>Response headers</summary>
        <ScrollBlock label="Response headers">
          <pre className="code-block">
            {Object.entries(result.headers)
              .map(([k, v]) => `${k}: ${v}`)
              .join('\n')}
          </pre>
        </ScrollBlock>
      </details>
      <h3>Logs</h3>
      {result.executionId === null && <p className="muted">No execution was recorded for this answer.</p>}
      {record.isPending && result.executionId !== null && <p className="muted">Loading logs…</p>}
      {record.error && <ErrorNotice error={record.error} title="Logs" />}
      {record.data && <LogLines logs={record.data.logs} error={record.data.error} />}
    </div>
  )
}

/**
 * Calls the live version over HTTP, as the signed-in admin (the request reaches the function with the
 * admin as `event.data.auth`), and shows the status, body, duration and the execution's logs.
 */
export function InvokePanel({
  name,
  liveVersion,
  hasHttpTrigger,
  canInvoke,
  unsaved,
}: {
  name: string
  liveVersion: number
  hasHttpTrigger: boolean
  canInvoke: boolean
  unsaved: boolean
}) {
  const id = useId()
  const [method, setMethod] = useState<string>('POST')
  const [path, setPath] = useState('')
  const [headersText, setHeadersText] = useState('')
  const [body, setBody] = useState('{\n  "name": "Ada"\n}')
  const [inputError, setInputError] = useState<string | null>(null)
  const invoke = useMutation({
    mutationFn: (input: Parameters<typeof invokeFunction>[1]) => invokeFunction(name, input),
  })
  const withBody = method !== 'GET'

  function submit(event: FormEvent) {
    event.preventDefault()
    const parsed = parseHeaders(headersText)
    if ('error' in parsed) return setInputError(parsed.error)
    const type = parsed.headers['content-type'] ?? 'application/json'
    if (withBody && body.trim() !== '' && type.includes('json')) {
      try {
        JSON.parse(body)
      } catch (error) {
        return setInputError(`The body is not valid JSON: ${(error as Error).message}`)
      }
    }
    setInputError(null)
    invoke.mutate({ method, path, headers: parsed.headers, body: withBody ? body : '' })
  }

  return (
    <section className="panel invoke" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Test the live version</h2>
      <p className="muted small">
        Runs version {liveVersion} over HTTP as you{unsaved ? ', not your unsaved changes' : ''}.
      </p>
      {!hasHttpTrigger && (
        <p className="notice notice-warn">
          This function has no HTTP trigger, so the server answers 404: add one under Configuration and
          deploy.
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <div className="field-row">
          <div className="field">
            <label htmlFor={`${id}-method`}>Method</label>
            <select id={`${id}-method`} value={method} onChange={(e) => setMethod(e.target.value)}>
              {METHODS.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </div>
          <div className="field grow">
            <label htmlFor={`${id}-path`}>Path</label>
            <input
              id={`${id}-path`}
              className="mono"
              value={path}
              placeholder="/ (optional sub-path)"
              spellCheck={false}
              onChange={(e) => setPath(e.target.value)}
            />
          </div>
        </div>
        <div className="field">
          <label htmlFor={`${id}-headers`}>Headers</label>
          <textarea
            id={`${id}-headers`}
            rows={2}
            value={headersText}
            placeholder="x-request-id: 42"
            spellCheck={false}
            onChange={(e) => setHeadersText(e.target.value)}
          />
        </div>
        {withBody && (
          <div className="field">
            <label htmlFor={`${id}-body`}>Body</label>
            <textarea
              id={`${id}-body`}
              rows={5}
              value={body}
              spellCheck={false}
              onChange={(e) => setBody(e.target.value)}
            />
          </div>
        )}
        {inputError && (
          <p className="notice notice-error" role="alert">
            {inputError}
          </p>
        )}
        <div className="form-actions">
          <button
            type="submit"
            className="primary"
            disabled={!canInvoke || invoke.isPending}
            aria-describedby={canInvoke ? undefined : `${id}-why`}
          >
            Invoke
          </button>
          {invoke.isPending && <span className="muted">Calling…</span>}
          {!canInvoke && (
            <span id={`${id}-why`} className="muted small">
              Invoking runs the function's code: it needs a developer or owner.
            </span>
          )}
        </div>
      </form>
      <ErrorNotice error={invoke.error} title="Invoke" />
      {invoke.data && (
        <ResponseView key={invoke.data.executionId ?? invoke.submittedAt} name={name} result={invoke.data} />
      )}
    </section>
  )
}
