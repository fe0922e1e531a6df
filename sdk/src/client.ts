import { type FetchLike, HttpClient } from './http.js'

export interface ClientOptions {
  /** Bearer token for every request: a user's access JWT or, on a trusted server only, the service key. */
  accessToken?: string | null
  /** Headers sent with every request. */
  headers?: Record<string, string>
  /** A `fetch` implementation; defaults to the global one. */
  fetch?: FetchLike
}

/** `GET /health` and `GET /ready` bodies. */
export interface HealthStatus {
  status: string
  checks?: Record<string, { status: string; error?: string }>
}

/**
 * A Stratus client. The service namespaces (auth, db, storage, functions, queue, realtime) grow on
 * top of {@link StratusClient.http}.
 */
export class StratusClient {
  readonly url: string
  readonly http: HttpClient

  constructor(url: string, options: ClientOptions = {}) {
    this.http = new HttpClient({
      baseUrl: url,
      accessToken: options.accessToken ?? null,
      ...(options.headers ? { headers: options.headers } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    })
    this.url = this.http.baseUrl
  }

  /** Sets (or clears) the bearer token used by every later request. */
  setAccessToken(token: string | null): void {
    this.http.setAccessToken(token)
  }

  /** `GET /health`: resolves when the API process is up. */
  health(options?: { signal?: AbortSignal }): Promise<HealthStatus> {
    return this.http.get<HealthStatus>('/health', options)
  }
}

/** Creates a client for the Stratus API at `url` (e.g. `http://localhost:8080`). */
export function createClient(url: string, options?: ClientOptions): StratusClient {
  return new StratusClient(url, options)
}
