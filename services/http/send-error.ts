import type { FastifyReply } from 'fastify'
import { ERROR_STATUS, type ErrorBody, type ErrorCode } from '../core/errors.ts'

/**
 * The one place an error becomes an HTTP answer: `{error:{code,message,details?}}` with the table's status.
 * It lives outside the gateway so that a route which answers an error itself (instead of throwing) writes
 * the same envelope without importing the gateway.
 */
export function sendError(
  reply: FastifyReply,
  code: ErrorCode,
  message: string,
  details?: unknown,
): FastifyReply {
  const body: ErrorBody = { error: details === undefined ? { code, message } : { code, message, details } }
  return reply.code(ERROR_STATUS[code]).type('application/json; charset=utf-8').send(body)
}
