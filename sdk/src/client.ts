import { AuthClient } from './auth.js'
import { type CollectionTypes, DbClient } from './db/client.js'
import { FunctionsClient } from './functions.js'
import { type FetchLike, HttpClient } from './http.js'
import { QueueClient } from './queue.js'
import { RealtimeConnection, type WebSocketConstructor } from './realtime.js'
import { browserStore, type KeyValueStore, MemoryStore } from './session-store.js'
import { StorageClient } from './storage.js'

export interface ClientOptions {
  /** Keep the session across reloads (default true): in `storage`, else `localStorage`, else memory. */
  persistSession?: boolean
  /** Where the session is kept; anything shaped like `localStorage`, sync or async. */
  storage?: KeyValueStore
  /** A `fetch` implementation; defaults to the global one. */
  fetch?: FetchLike
  /** A WebSocket constructor; defaults to the global one, else the `ws` package (Node 20). */
  WebSocket?: WebSocketConstructor
  /**
   * A fixed bearer token for every request instead of a signed-in session: on a trusted server, the
   * service key (it bypasses rules; never ship it to a browser).
   */
  accessToken?: string
  /** Headers sent with every request. */
  headers?: Record<string, string>
  /** The key the session is stored under (default `stratus.session.<host>`). */
  storageKey?: string
}

/** `GET /health` and `GET /ready` bodies. */
export interface HealthStatus {
  status: string
  checks?: Record<string, { status: string; error?: string }>
}

/**
 * A Stratus client: `auth`, `db`, `storage`, `functions`, `queue`, sharing one session and one WebSocket.
 * `C` maps collection names to document types (see `DbClient`).
 */
export class StratusClient<C extends object = CollectionTypes> {
  readonly url: string
  readonly http: HttpClient
  readonly auth: AuthClient
  readonly db: DbClient<C>
  readonly storage: StorageClient
  readonly functions: FunctionsClient
  readonly queue: QueueClient
  readonly realtime: RealtimeConnection

  constructor(url: string, options: ClientOptions = {}) {
    const shared = {
      baseUrl: url,
      ...(options.headers ? { headers: options.headers } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    }
    const plain = new HttpClient(shared)
    this.url = plain.baseUrl
    this.http = new HttpClient({ ...shared, accessToken: options.accessToken ?? null })
    const persist = options.persistSession ?? true
    this.auth = new AuthClient({
      http: plain,
      userHttp: this.http,
      store: persist ? (options.storage ?? browserStore() ?? new MemoryStore()) : null,
      storageKey: options.storageKey ?? `stratus.session.${hostOf(this.url)}`,
    })
    if (options.accessToken === undefined) this.http.setTokenSource(this.auth)

    this.realtime = new RealtimeConnection({
      baseUrl: this.url,
      token: () => this.http.currentToken(),
      ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
    })
    if (options.accessToken === undefined) {
      // Listeners follow the session: a refreshed token is handed to the open socket; a new identity
      // (sign-in, sign-out, a move to aal2) reconnects, and every subscription resumes under it.
      this.auth.onAuthStateChange((event, session) => {
        if (event === 'TOKEN_REFRESHED' && session) this.realtime.updateToken(session.access_token)
        else if (event === 'SIGNED_IN' || event === 'SIGNED_OUT' || event === 'MFA_CHALLENGE_VERIFIED') {
          this.realtime.reconnect()
        }
      })
    }
    this.db = new DbClient<C>(this.http, this.realtime)
    this.storage = new StorageClient(this.http)
    this.functions = new FunctionsClient(this.http)
    this.queue = new QueueClient(this.http)
  }

  /** `GET /health`: resolves when the API process is up. */
  health(options?: { signal?: AbortSignal }): Promise<HealthStatus> {
    return this.http.get<HealthStatus>('/health', options)
  }

  /** Stops listeners, the WebSocket and the refresh timer (the stored session stays). */
  close(): void {
    this.realtime.close()
    this.auth.close()
  }
}

/**
 * Creates a client for the Stratus API at `url` (e.g. `http://localhost:8080`). `createClient<Collections>`
 * types `app.db.collection(name)` by the generated `Collections` map.
 */
export function createClient<C extends object = CollectionTypes>(
  url: string,
  options?: ClientOptions,
): StratusClient<C> {
  return new StratusClient<C>(url, options)
}

function hostOf(url: string): string {
  try {
    return new URL(url).host
  } catch {
    return 'local'
  }
}
