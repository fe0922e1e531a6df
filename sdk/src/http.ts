import { isErrorEnvelope, StratusError } from './errors.js'

/** A `fetch` implementation: the global one by default; pass another for tests or older runtimes. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>

export type QueryValue = string | number | boolean | null | undefined

export interface HttpClientOptions {
  /** The API's base URL, e.g. `https://api.example.com` (a path prefix is kept; a same-origin path works too). */
  baseUrl: string
  /** Bearer token sent with every request (an access JWT or a service key). */
  accessToken?: string | null
  /** Headers sent with every request. */
  headers?: Record<string, string>
  fetch?: FetchLike
}

export interface RequestOptions {
  method?: string
  /** Query parameters; `null`/`undefined` values are left out. */
  query?: Record<string, QueryValue>
  /** Sent as JSON (`content-type: application/json`). */
  body?: unknown
  headers?: Record<string, string>
  signal?: AbortSignal
}

/**
 * The SDK's one door to the API: JSON in and out, the bearer token attached when one is set, and every
 * failure turned into a {@link StratusError}.
 */
export class HttpClient {
  readonly baseUrl: string
  #accessToken: string | null
  readonly #headers: Record<string, string>
  readonly #fetch: FetchLike

  constructor(options: HttpClientOptions) {
    if (typeof options.baseUrl !== 'string' || options.baseUrl === '') {
      throw new TypeError('Stratus: baseUrl must be a non-empty string')
    }
    this.baseUrl = options.baseUrl.replace(/\/+$/, '')
    this.#accessToken = options.accessToken ?? null
    this.#headers = { ...options.headers }
    // Called through a closure: browsers reject `fetch` invoked with another object as `this`.
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
  }

  get accessToken(): string | null {
    return this.#accessToken
  }

  /** Sets (or, with `null`, clears) the bearer token used by later requests. */
  setAccessToken(token: string | null): void {
    this.#accessToken = token
  }

  /** The full URL for an API path such as `/db/v1/collections/posts/documents`. */
  url(path: string, query?: Record<string, QueryValue>): string {
    let url = this.baseUrl + (path.startsWith('/') ? path : `/${path}`)
    if (query) {
      const params = new URLSearchParams()
      for (const [key, value] of Object.entries(query)) {
        if (value !== undefined && value !== null) params.append(key, String(value))
      }
      const search = params.toString()
      if (search) url += (url.includes('?') ? '&' : '?') + search
    }
    return url
  }

  /** Sends a request and resolves with the parsed JSON body (`undefined` for an empty answer). */
  async request<T = unknown>(path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.#headers }
    if (this.#accessToken) headers.authorization = `Bearer ${this.#accessToken}`
    const init: RequestInit = { method: options.method ?? 'GET', headers }
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json'
      init.body = JSON.stringify(options.body)
    }
    if (options.signal) init.signal = options.signal
    Object.assign(headers, options.headers)

    let response: Response
    try {
      response = await this.#fetch(this.url(path, options.query), init)
    } catch (error) {
      if (isAbort(error, options.signal)) {
        throw new StratusError('network/aborted', 'The request was aborted', 0, undefined, { cause: error })
      }
      throw new StratusError(
        'network/unreachable',
        `Could not reach the Stratus API at ${this.baseUrl}: ${describe(error)}`,
        0,
        undefined,
        { cause: error },
      )
    }
    return readResponse<T>(response, options.signal)
  }

  get<T = unknown>(path: string, options?: Omit<RequestOptions, 'method' | 'body'>): Promise<T> {
    return this.request<T>(path, { ...options, method: 'GET' })
  }

  post<T = unknown>(
    path: string,
    body?: unknown,
    options?: Omit<RequestOptions, 'method' | 'body'>,
  ): Promise<T> {
    return this.request<T>(path, { ...options, method: 'POST', body })
  }

  put<T = unknown>(
    path: string,
    body?: unknown,
    options?: Omit<RequestOptions, 'method' | 'body'>,
  ): Promise<T> {
    return this.request<T>(path, { ...options, method: 'PUT', body })
  }

  patch<T = unknown>(
    path: string,
    body?: unknown,
    options?: Omit<RequestOptions, 'method' | 'body'>,
  ): Promise<T> {
    return this.request<T>(path, { ...options, method: 'PATCH', body })
  }

  delete<T = unknown>(path: string, options?: Omit<RequestOptions, 'method' | 'body'>): Promise<T> {
    return this.request<T>(path, { ...options, method: 'DELETE' })
  }
}

async function readResponse<T>(response: Response, signal: AbortSignal | undefined): Promise<T> {
  let text: string
  try {
    text = await response.text()
  } catch (error) {
    if (isAbort(error, signal)) {
      throw new StratusError('network/aborted', 'The request was aborted', 0, undefined, { cause: error })
    }
    throw new StratusError(
      'network/unreachable',
      `The connection failed while reading the response: ${describe(error)}`,
      0,
      undefined,
      { cause: error },
    )
  }

  let body: unknown
  let parsed = false
  if (text !== '') {
    try {
      body = JSON.parse(text)
      parsed = true
    } catch {
      // Not JSON: handled below.
    }
  }

  if (!response.ok) {
    if (parsed && isErrorEnvelope(body)) {
      const { code, message, details } = body.error
      throw new StratusError(code, message, response.status, details)
    }
    throw new StratusError(
      'network/invalid-response',
      `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''} without a Stratus error body`,
      response.status,
      text === '' ? undefined : { body: text.slice(0, 1000) },
    )
  }
  if (text === '') return undefined as T
  if (!parsed) {
    throw new StratusError(
      'network/invalid-response',
      'The API answered with a body that is not JSON',
      response.status,
      { body: text.slice(0, 1000) },
    )
  }
  return body as T
}

function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return (
    signal?.aborted === true ||
    (typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError')
  )
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause
    const detail = cause instanceof Error && cause.message ? ` (${cause.message})` : ''
    return `${error.message}${detail}`
  }
  return String(error)
}
