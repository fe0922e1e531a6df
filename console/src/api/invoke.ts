import { ApiError, consoleFetch } from './http.ts'

/** What the Invoke panel sends. */
export interface InvokeInput {
  method: string
  /** Sub-path after the function's name (`/users/1`), or ''. */
  path: string
  headers: Record<string, string>
  /** Raw body text (sent as is; JSON content-type unless a header says otherwise). */
  body: string
}

/** What an invocation answered. */
export interface InvokeResult {
  status: number
  headers: Record<string, string>
  /** Parsed JSON when the answer is JSON, else its text. */
  body: unknown
  contentType: string
  /** Round trip, as the browser saw it. */
  durationMs: number
  executionId: string | null
}

/**
 * Calls the function over HTTP as the signed-in admin (`/admin/v1/app/functions/v1/{name}`): the raw
 * answer (status, headers, body) rather than the SDK's parsed result, since the panel shows all of it.
 */
export async function invokeFunction(name: string, input: InvokeInput): Promise<InvokeResult> {
  const method = input.method.toUpperCase()
  const sub = input.path.replace(/^\/+/, '')
  const url = `/admin/v1/app/functions/v1/${encodeURIComponent(name)}${sub ? `/${sub}` : ''}`
  const headers = new Headers(input.headers)
  const withBody = method !== 'GET' && method !== 'HEAD' && input.body.trim() !== ''
  if (withBody && !headers.has('content-type')) headers.set('content-type', 'application/json')
  if (!headers.has('accept')) headers.set('accept', 'application/json, */*')
  const started = performance.now()
  let response: Response
  try {
    response = await consoleFetch(url, { method, headers, body: withBody ? input.body : null })
  } catch (error) {
    throw new ApiError(0, 'network/unreachable', `The server did not answer: ${(error as Error).message}`)
  }
  const text = await response.text()
  const durationMs = performance.now() - started
  const contentType = response.headers.get('content-type') ?? ''
  let body: unknown = text
  if (contentType.includes('json') && text !== '') {
    try {
      body = JSON.parse(text)
    } catch {
      body = text
    }
  }
  const answerHeaders: Record<string, string> = {}
  response.headers.forEach((value, key) => {
    answerHeaders[key] = value
  })
  return {
    status: response.status,
    headers: answerHeaders,
    body,
    contentType,
    durationMs,
    executionId: response.headers.get('x-stratus-execution-id'),
  }
}
