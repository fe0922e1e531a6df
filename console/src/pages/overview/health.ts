/** One probe of `/health` or `/ready`, as the console shows it. */
export interface ProbeResult {
  /** `ok`: 2xx; `down`: any other HTTP answer; `unreachable`: no answer at all. */
  state: 'ok' | 'down' | 'unreachable'
  /** HTTP status, or null when the request failed before a response. */
  httpStatus: number | null
  /** The `status` field of the body, if any. */
  status?: string
  /** Per-dependency results of `/ready`: `{database: {status, error?}, …}`. */
  checks?: Record<string, { status: string; error?: string }>
  error?: string
  /** Round-trip time in milliseconds. */
  ms: number
}

interface Body {
  status?: unknown
  checks?: unknown
  error?: { message?: unknown }
}

/** Fetches `path` from this origin (the gateway serves both the console and the API). */
export async function probe(path: '/health' | '/ready', signal?: AbortSignal): Promise<ProbeResult> {
  const started = performance.now()
  let response: Response
  try {
    response = await fetch(path, {
      headers: { accept: 'application/json' },
      cache: 'no-store',
      signal: signal ?? null,
    })
  } catch (error) {
    if (signal?.aborted) throw error
    return {
      state: 'unreachable',
      httpStatus: null,
      error: error instanceof Error ? error.message : String(error),
      ms: performance.now() - started,
    }
  }
  let body: Body = {}
  try {
    body = (await response.json()) as Body
  } catch {
    // A body that is not JSON (e.g. a proxy's error page): the HTTP status still says enough.
  }
  const result: ProbeResult = {
    state: response.ok ? 'ok' : 'down',
    httpStatus: response.status,
    ms: performance.now() - started,
  }
  if (typeof body.status === 'string') result.status = body.status
  if (body.checks && typeof body.checks === 'object') result.checks = body.checks as ProbeResult['checks']
  if (typeof body.error?.message === 'string') result.error = body.error.message
  return result
}
