import { AppCliError } from './errors.ts'

/** An error answer of the admin API: `{error: {code, message, details?}}` and its status. */
export class ApiError extends AppCliError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown,
    /** The server's own message, without the request and status this error's message leads with. */
    readonly serverMessage = message,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

/** The admin API at `url`, called with a service key (or admin token). */
export class AdminApi {
  constructor(
    readonly url: string,
    private readonly key: string,
  ) {}

  /** `timeoutMs` bounds the whole exchange (none by default: a deploy may take long). */
  async request<T>(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<T> {
    let response: Response
    try {
      response = await fetch(new URL(path, this.url), {
        method,
        ...(timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(timeoutMs) }),
        headers: {
          authorization: `Bearer ${this.key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
    } catch (error) {
      if ((error as Error).name === 'TimeoutError')
        throw new AppCliError(`${method} ${path}: no answer from ${this.url} within ${timeoutMs} ms`)
      const cause = (error as { cause?: { code?: string; message?: string } }).cause
      throw new AppCliError(
        `cannot reach ${this.url} (${cause?.code ?? cause?.message ?? (error as Error).message}): is the server running? (--url)`,
      )
    }
    const text = await response.text()
    let parsed: unknown
    try {
      parsed = text ? JSON.parse(text) : undefined
    } catch {
      parsed = undefined
    }
    if (!response.ok) {
      const envelope = (parsed as { error?: { code?: string; message?: string; details?: unknown } })?.error
      const code = envelope?.code ?? `http/${response.status}`
      const said = envelope?.message ?? (text.slice(0, 200) || response.statusText)
      throw new ApiError(
        response.status,
        code,
        `${method} ${path}: ${response.status} ${code}: ${said}`,
        envelope?.details,
        said,
      )
    }
    return parsed as T
  }

  get<T>(path: string, timeoutMs?: number): Promise<T> {
    return this.request<T>('GET', path, undefined, timeoutMs)
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body)
  }
}
