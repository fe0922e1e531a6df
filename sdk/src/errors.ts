/** The shape of every error the Stratus API returns: `{"error":{"code","message","details"?}}`. */
export interface ErrorEnvelope {
  error: { code: string; message: string; details?: unknown }
}

/**
 * Codes the SDK produces itself, when there is no API answer to report:
 * - `network/unreachable`: the request never got an HTTP response (DNS, refused connection, CORS, offline…);
 * - `network/aborted`: the caller's `AbortSignal` fired;
 * - `network/invalid-response`: a response that is neither the expected JSON nor an error envelope
 *   (for example an HTML error page from a proxy);
 * - `functions/http-error`: a function answered a 4xx/5xx status of its own choosing (`details.body`);
 * - `realtime/no-websocket`: listeners need a WebSocket and the runtime has none (Node 20 without `ws`);
 * - `realtime/invalid-url`: the API URL is a relative path outside a browser page (no location to resolve it).
 */
export type ClientErrorCode =
  | 'network/unreachable'
  | 'network/aborted'
  | 'network/invalid-response'
  | 'functions/http-error'
  | 'realtime/no-websocket'
  | 'realtime/invalid-url'

/**
 * Every failure the SDK reports. `code` is the API's `area/kebab-code` (see API.md) or one of
 * {@link ClientErrorCode}; `status` is the HTTP status, or 0 when no response arrived.
 */
export class StratusError extends Error {
  readonly code: string
  readonly status: number
  readonly details: unknown

  constructor(code: string, message: string, status: number, details?: unknown, options?: ErrorOptions) {
    super(message, options)
    this.name = 'StratusError'
    this.code = code
    this.status = status
    this.details = details
  }
}

/** True when `value` is the API's error envelope. */
export function isErrorEnvelope(value: unknown): value is ErrorEnvelope {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false
  const error = (value as { error: unknown }).error
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { message?: unknown }).message === 'string'
  )
}
