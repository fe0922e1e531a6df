/**
 * Every error code of the public contract (API.md), with the HTTP status the gateway answers with.
 * This table is the only place a status is chosen: services throw `StratusError`s that know nothing of HTTP.
 */
export const ERROR_STATUS = {
  'auth/invalid-credentials': 400,
  'auth/email-taken': 409,
  'auth/weak-password': 422,
  'auth/unauthenticated': 401,
  'auth/token-expired': 401,
  'auth/token-reused': 401,
  'auth/forbidden': 403,
  'auth/user-disabled': 403,
  'auth/user-not-found': 404,
  'auth/provider-not-found': 404,
  'auth/redirect-not-allowed': 400,
  'auth/invalid-state': 400,
  'auth/factor-not-found': 404,
  'auth/insufficient-aal': 403,
  /** An admin with TOTP enrolled signed in without a code (POST /admin/v1/session). */
  'auth/mfa-required': 401,
  'auth/admin-not-found': 404,
  /** DELETE or GET /admin/v1/api-keys/{id} for an id that names no API key. */
  'auth/api-key-not-found': 404,
  'db/not-found': 404,
  'db/already-exists': 409,
  'db/version-mismatch': 412,
  'db/invalid-query': 400,
  'db/validation-failed': 422,
  'db/too-large': 413,
  'db/invalid-document': 400,
  'storage/not-found': 404,
  'storage/too-large': 413,
  'storage/invalid-signature': 403,
  'storage/invalid-content-type': 415,
  'storage/range-not-satisfiable': 416,
  'storage/bucket-not-empty': 409,
  'functions/not-found': 404,
  'functions/timeout': 504,
  'functions/failed': 500,
  'functions/invalid-code': 400,
  /** A deployed trigger that could never fire: an unknown event type, or a subject its type never has. */
  'functions/invalid-trigger': 400,
  /** The event an execution ran for is no longer kept (outbox retention), so it cannot run again. */
  'functions/event-not-retained': 410,
  /** The function's result is larger than FUNCTIONS_MAX_PAYLOAD_BYTES (like a gateway refusing an upstream answer). */
  'functions/result-too-large': 502,
  /**
   * A portable (Lambda-style) handler's HTTP result is not a Lambda proxy response
   * (`{statusCode, headers?, multiValueHeaders?, body?, isBase64Encoded?}`): 502, as API Gateway answers.
   */
  'functions/malformed-response': 502,
  'realtime/replay-too-large': 400,
  /** POST /admin/v1/deployments: the manifest breaks its schema or contradicts what is live (`details.errors`). */
  'deployments/invalid-manifest': 400,
  /** A deployment would lose data (documents, objects, messages, a function, a provider) without allowDestroy. */
  'deployments/data-loss': 409,
  /** A deployment would delete a resource marked `protect: true`. */
  'deployments/protected': 409,
  'deployments/not-found': 404,
  /**
   * A deployment's step failed while applying, after every check passed (an index the data cannot hold,
   * a resource changed meanwhile): the steps before it were undone (`details.change`, `details.cause`).
   */
  'deployments/apply-failed': 409,
  /** GET /admin/v1/traces/{id}: nothing of that trace is held (unknown, or past retention). */
  'observability/trace-not-found': 404,
  'request/invalid': 400,
  'request/too-large': 413,
  'request/not-found': 404,
  'request/method-not-allowed': 405,
  'request/unsupported-media-type': 415,
  'rate-limited': 429,
  'service/unavailable': 503,
  internal: 500,
} as const

/** A code from the public error table. */
export type ErrorCode = keyof typeof ERROR_STATUS

/** A domain error with a public code. `details` is sent to the client; `cause` is only logged. */
export class StratusError extends Error {
  readonly code: ErrorCode
  readonly details: unknown

  constructor(code: ErrorCode, message: string, options: { details?: unknown; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'StratusError'
    this.code = code
    this.details = options.details
  }

  /** The HTTP status of this error's code. */
  get status(): number {
    return ERROR_STATUS[this.code]
  }
}

/** True when `value` is a StratusError carrying `code` (or any code, when none is given). */
export function isStratusError(value: unknown, code?: ErrorCode): value is StratusError {
  return value instanceof StratusError && (code === undefined || value.code === code)
}

/** The JSON body of every error response. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown }
}
