import { isErrorEnvelope, StratusError } from './errors.js'

/** A `fetch` implementation: the global one by default; pass another for tests or older runtimes. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>

export type QueryValue = string | number | boolean | null | undefined

/**
 * Where the bearer token comes from when it can change (a signed-in session that refreshes). The
 * HTTP client asks before every request and, once per request, after an `auth/token-expired` answer.
 */
export interface TokenSource {
  /** The token for the next request, refreshed first when it is about to expire; null = anonymous. */
  token(): Promise<string | null>
  /** The API said `token` has expired: refresh it. True when a retry with a new token makes sense. */
  expired(token: string): Promise<boolean>
}

export interface HttpClientOptions {
  /** The API's base URL, e.g. `https://api.example.com` (a path prefix is kept; a same-origin path works too). */
  baseUrl: string
  /** Bearer token sent with every request (an access JWT or a service key). */
  accessToken?: string | null
  /** A changing token (a session); when set, it replaces `accessToken`. */
  tokens?: TokenSource
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

/** A request whose body is sent as it is (bytes, a stream, text) and whose answer is read by the caller. */
export interface RawRequestOptions extends Omit<RequestOptions, 'body'> {
  body?: BodyInit | null
  /** Resolve with the response whatever its status (the caller reads errors itself). */
  anyStatus?: boolean
}

/**
 * The SDK's one door to the API: JSON in and out, the bearer token attached when one is set, and every
 * failure turned into a {@link StratusError}.
 */
export class HttpClient {
  readonly baseUrl: string
  #accessToken: string | null
  #tokens: TokenSource | null
  readonly #headers: Record<string, string>
  readonly #fetch: FetchLike

  constructor(options: HttpClientOptions) {
    if (typeof options.baseUrl !== 'string' || options.baseUrl === '') {
      throw new TypeError('Stratus: baseUrl must be a non-empty string')
    }
    this.baseUrl = options.baseUrl.replace(/\/+$/, '')
    this.#accessToken = options.accessToken ?? null
    this.#tokens = options.tokens ?? null
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

  /** Takes tokens from `source` (a session) from now on; `null` goes back to the fixed token. */
  setTokenSource(source: TokenSource | null): void {
    this.#tokens = source
  }

  /** The bearer token the next request will carry. */
  currentToken(): Promise<string | null> {
    return this.#tokens ? this.#tokens.token() : Promise.resolve(this.#accessToken)
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
    const { body, ...rest } = options
    const raw: RawRequestOptions = { ...rest }
    if (body !== undefined) {
      raw.headers = { 'content-type': 'application/json', ...options.headers }
      raw.body = JSON.stringify(body)
    }
    const response = await this.send(path, raw)
    return readResponse<T>(response, options.signal)
  }

  /**
   * Sends a request with the body as given and resolves with the `Response` of a 2xx/3xx answer, its
   * body unread; any other answer becomes a {@link StratusError}. An `auth/token-expired` answer is
   * retried once with a refreshed token when the body can be sent again (not a stream).
   */
  async send(path: string, options: RawRequestOptions = {}): Promise<Response> {
    const url = this.url(path, options.query)
    const token = await this.currentToken()
    let response = await this.#fetchOnce(url, options, token)
    if (
      response.status === 401 &&
      token !== null &&
      this.#tokens &&
      !isStream(options.body) &&
      (await isExpiredAnswer(response)) &&
      (await this.#tokens.expired(token))
    ) {
      response = await this.#fetchOnce(url, options, await this.currentToken())
    }
    if (response.status >= 400 && !options.anyStatus) return readResponse<never>(response, options.signal)
    return response
  }

  async #fetchOnce(url: string, options: RawRequestOptions, token: string | null): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.#headers }
    if (token) headers.authorization = `Bearer ${token}`
    Object.assign(headers, options.headers)
    const init: RequestInit & { duplex?: 'half' } = { method: options.method ?? 'GET', headers }
    if (options.body !== undefined && options.body !== null) {
      init.body = options.body
      // fetch refuses a stream body without it (Node's undici and Chromium alike).
      if (isStream(options.body)) init.duplex = 'half'
    }
    if (options.signal) init.signal = options.signal
    try {
      return await this.#fetch(url, init)
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

function isStream(body: unknown): body is ReadableStream {
  return typeof ReadableStream !== 'undefined' && body instanceof ReadableStream
}

/** True for a 401 whose envelope says `auth/token-expired` (read from a clone: the body stays readable). */
async function isExpiredAnswer(response: Response): Promise<boolean> {
  try {
    const body: unknown = await response.clone().json()
    return isErrorEnvelope(body) && body.error.code === 'auth/token-expired'
  } catch {
    return false
  }
}

/** Reads a JSON answer: the parsed body of a 2xx, or a {@link StratusError} for anything else. */
export async function readResponse<T>(response: Response, signal?: AbortSignal): Promise<T> {
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
