import type { FastifyReply, FastifyRequest } from 'fastify'

/** The console's session cookie: HttpOnly, so page scripts never see the token. */
export const SESSION_COOKIE = 'stratus_admin'
/**
 * The CSRF cookie (double submit): readable by the console's scripts, which echo it in `x-csrf-token`
 * on every change. A page on another site can make the browser send cookies but cannot read this one.
 */
export const CSRF_COOKIE = 'stratus_csrf'
export const CSRF_HEADER = 'x-csrf-token'

/** The value of cookie `name` in the request, if any. */
export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined
  }
  return undefined
}

function cookie(
  request: FastifyRequest,
  name: string,
  value: string,
  maxAge: number,
  httpOnly: boolean,
): string {
  const secure = request.protocol === 'https' ? '; Secure' : ''
  return `${name}=${value}; Path=/; Max-Age=${maxAge}${httpOnly ? '; HttpOnly' : ''}; SameSite=Strict${secure}`
}

/** Sets the session and CSRF cookies of a new console session. */
export function setSessionCookies(
  request: FastifyRequest,
  reply: FastifyReply,
  token: string,
  csrf: string,
  maxAge: number,
): void {
  reply.header('set-cookie', [
    cookie(request, SESSION_COOKIE, token, maxAge, true),
    cookie(request, CSRF_COOKIE, csrf, maxAge, false),
  ])
}

/** Expires both cookies (sign-out). */
export function clearSessionCookies(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('set-cookie', [
    cookie(request, SESSION_COOKIE, '', 0, true),
    cookie(request, CSRF_COOKIE, '', 0, false),
  ])
}
