import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { type ErrorCode, isStratusError } from '../core/errors.ts'
import { sendError } from '../http/send-error.ts'
import { unstorableValue } from './unstorable-text.ts'

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
  const unstorable = unstorableValue(error)
  if (unstorable) return { code: 'request/invalid', message: unstorable }
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
 * Answers any error with the envelope. Also fastify's `frameworkErrors` option: the errors it raises
 * before a request reaches a route (a URL that does not percent-decode, a path parameter over
 * `maxParamLength`), which would otherwise get fastify's own body.
 */
export function answerError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (isStratusError(error)) {
    if (error.status >= 500) request.log.error({ err: error }, error.message)
    return sendError(reply, error.code, error.message, error.details)
  }
  const known = classify(error)
  if (known) return sendError(reply, known.code, known.message, known.details)
  request.log.error({ err: error }, 'unhandled error')
  return sendError(reply, 'internal', 'Internal server error')
}

/** Installs the error envelope for thrown errors and for unknown routes. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler(answerError)
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 'request/not-found', `No route for ${request.method} ${request.url.split('?')[0]}`),
  )
}
