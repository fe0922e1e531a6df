import { isErrorEnvelope, StratusError } from './errors.js'
import type { HttpClient } from './http.js'

export interface InvokeOptions {
  /** Default POST (GET and HEAD send no body). */
  method?: string
  headers?: Record<string, string>
  signal?: AbortSignal
}

/** `app.functions`: HTTP-triggered functions. */
export class FunctionsClient {
  readonly #http: HttpClient

  constructor(http: HttpClient) {
    this.#http = http
  }

  /**
   * Calls `POST /functions/v1/{name}` (a `name` may go on with a sub-path: `api/users/1`) and resolves
   * with the answer: parsed JSON, else text. A timeout is `functions/timeout`, a throw `functions/failed`;
   * a status of the function's own choosing (400 and up) is `functions/http-error`, its body in `details.body`.
   */
  async invoke<T = unknown>(name: string, body?: unknown, options: InvokeOptions = {}): Promise<T> {
    const method = (options.method ?? 'POST').toUpperCase()
    const withBody = body !== undefined && method !== 'GET' && method !== 'HEAD'
    const response = await this.#http.send(
      `/functions/v1/${name.split('/').map(encodeURIComponent).join('/')}`,
      {
        method,
        headers: { ...(withBody ? { 'content-type': 'application/json' } : {}), ...options.headers },
        ...(withBody ? { body: JSON.stringify(body) } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        anyStatus: true,
      },
    )
    const answer = parseBody(await response.text(), response)
    if (response.ok) return answer as T
    if (isErrorEnvelope(answer)) {
      throw new StratusError(answer.error.code, answer.error.message, response.status, answer.error.details)
    }
    // The function chose this status itself (it returned `{status, headers, body}`).
    throw new StratusError(
      'functions/http-error',
      `The function answered ${response.status}`,
      response.status,
      {
        body: answer,
      },
    )
  }
}

function parseBody(text: string, response: Response): unknown {
  if (text === '') return undefined
  if (!(response.headers.get('content-type') ?? '').includes('json')) return text
  try {
    return JSON.parse(text)
  } catch {
    throw new StratusError(
      'network/invalid-response',
      'The function answered with invalid JSON',
      response.status,
      {
        body: text.slice(0, 1000),
      },
    )
  }
}
