import type { FastifyReply, FastifyRequest } from 'fastify'

/**
 * The cookie binding an OAuth sign-in to the browser that started it: set by GET /authorize, checked
 * by GET /callback (whose flow stores its hash). Without it, a callback URL made by an attacker for
 * their own account could be opened in a victim's browser and sign the victim into it (login CSRF).
 * HttpOnly, sent only to the callback path; SameSite=Lax lets the provider's top-level redirect carry it.
 */
const COOKIE = 'stratus-oauth'
const MAX_AGE_SECONDS = 600

/** The binding the browser already holds, if any. */
export function readBinding(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie
  if (!header) return undefined
  for (const part of header.split(';')) {
    const [name, ...value] = part.trim().split('=')
    if (name === COOKIE) return value.join('=') || undefined
  }
  return undefined
}

/**
 * Sets (or refreshes) the binding cookie for the path of `callbackUrl` (AUTH_EXTERNAL_URL may put the
 * API under a prefix); Secure whenever the browser reaches us over https.
 */
export function setBinding(
  request: FastifyRequest,
  reply: FastifyReply,
  binding: string,
  callbackUrl: string,
): void {
  const callback = new URL(callbackUrl)
  const secure = request.protocol === 'https' || callback.protocol === 'https:' ? '; Secure' : ''
  reply.header(
    'set-cookie',
    `${COOKIE}=${binding}; Path=${callback.pathname}; Max-Age=${MAX_AGE_SECONDS}; HttpOnly; SameSite=Lax${secure}`,
  )
}

/** `scheme://host[:port]` of the request as the browser addressed it. */
export function requestOrigin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`
}
