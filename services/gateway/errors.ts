import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { type ErrorCode, isStratusError } from '../core/errors.ts'
import { sqlState } from '../db/database.ts'
import { sendError } from '../http/send-error.ts'

/** Maps an error that is not ours (fastify's parsers, schema validation, plugins) to a public code. */
function classify(error: FastifyError): { code: ErrorCode; message: string; details?: unknown } | undefined {
  if (error.validation) {
    const context = error.validationContext ?? 'body'
    const details = error.validation.map((v) => ({
      location: context,
      path: v.instancePath || '/',
      message: v.message ?? 'is invalid',
      ...(v.params && Object.keys(v.params).length ? { params: v.params } : {}),
    }))
    return { code: 'request/invalid', message: `Invalid request ${context}: ${error.message}`, details }
  }
  if (isUnstorableText(error)) {
    return {
      code: 'request/invalid',
      message: 'The request contains U+0000 (NUL), which cannot be stored',
    }
  }
  const status = error.statusCode
  if (status === undefined || status < 400 || status >= 500) return undefined
  switch (status) {
    case 413:
      return { code: 'request/too-large', message: 'The request body is larger than this endpoint accepts' }
    case 415:
      return {
        code: 'request/unsupported-media-type',
        message: `Unsupported content-type; send application/json`,
      }
    case 429:
      return { code: 'rate-limited', message: error.message || 'Too many requests; retry later' }
    case 404:
      return { code: 'request/not-found', message: error.message }
    case 405:
      return { code: 'request/method-not-allowed', message: error.message }
    default:
      // Malformed JSON, empty JSON bodies, bad content-length, bad URL encoding…: the client's fault.
      return { code: 'request/invalid', message: error.message || 'Invalid request' }
  }
}

/**
 * Postgres refuses U+0000 in text (22021) and in jsonb (22P05, "unsupported Unicode escape sequence").
 * Services check the values they know to be free-form (documents, payloads); anything else that carries
 * one to the database fails there, and that is the client's input, not a server fault: the statement's
 * transaction rolled back, so nothing was half written.
 */
function isUnstorableText(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const state = sqlState(e)
    if (state === '22021' || state === '22P05') return true
  }
  return false
}

/** Installs the error envelope for thrown errors and for unknown routes. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (isStratusError(error)) {
      if (error.status >= 500) request.log.error({ err: error }, error.message)
      return sendError(reply, error.code, error.message, error.details)
    }
    const known = classify(error)
    if (known) return sendError(reply, known.code, known.message, known.details)
    request.log.error({ err: error }, 'unhandled error')
    return sendError(reply, 'internal', 'Internal server error')
  })
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 'request/not-found', `No route for ${request.method} ${request.url.split('?')[0]}`),
  )
}
