import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { AuditRecord } from '../../admin/audit.ts'
import {
  type AdminCaller,
  auditActor,
  CSRF_COOKIE,
  CSRF_HEADER,
  readCookie,
  SESSION_COOKIE,
} from '../../admin/routes/index.ts'
import type { AdminPrincipal } from '../../admin/service.ts'
import type { AuthContext } from '../../auth/signing-keys.ts'
import { StratusError } from '../../core/errors.ts'
import { adminMayCall, adminRouteAccess, isChange, isReadMethod } from '../admin-access.ts'
import { API_KEY_UID_PREFIX } from '../api-key-access.ts'

/** What the admin scope needs of the admin service. */
export interface AdminGuardPort {
  /** The admin a live session token belongs to, or undefined. */
  authenticate(token: string): Promise<AdminPrincipal | undefined>
  audit: { record(entry: AuditRecord): Promise<void> }
}

/** Options of `installAdminGuard`. */
export interface AdminGuardOptions {
  /** Absent: only the service key is admitted, and nothing is audited (a gateway built without admins). */
  admins?: AdminGuardPort
  /** The service key, for reading a resource's state before a change (`before` in the audit log). */
  serviceToken: () => string | Promise<string>
}

declare module 'fastify' {
  interface FastifyRequest {
    /** What a GET on the same URL answered just before this change, for the audit entry. */
    auditBefore: unknown
  }
}

const NO_CREDENTIALS = 'This endpoint needs the service key or an admin session'

/**
 * The app API for admins: the public data-plane routes mounted again under this prefix (see the
 * gateway's build), where an admitted admin acts as an `admin` principal that bypasses rules.
 */
export const ADMIN_APP_PREFIX = '/admin/v1/app/'

/** True for a route pattern of the app API under `/admin/v1/app`. */
export function isAdminAppRoute(pattern: string | undefined): boolean {
  return pattern?.startsWith(ADMIN_APP_PREFIX) === true
}

/**
 * The principal an admin acts as on `/admin/v1/app`: role `admin` (rules bypassed, as for the service
 * key), uid `admin:<id>`. Built here only, from an admitted session: no token can carry this role.
 */
export function adminAuthContext(admin: AdminPrincipal): AuthContext {
  const uid = `admin:${admin.id}`
  return Object.freeze({
    uid,
    role: 'admin',
    email: admin.email,
    claims: Object.freeze({ sub: uid, role: 'admin', admin_role: admin.role }),
  })
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** Decides who calls, and throws 401/403 unless that caller may call this route. */
async function admit(request: FastifyRequest, options: AdminGuardOptions): Promise<void> {
  if (request.adminCaller) return
  const pattern = request.routeOptions.url
  if (adminRouteAccess(request.method, pattern) === 'public') return
  if (request.auth) {
    // A function's token (role `function`) and app users' tokens are never admitted here. An API key
    // is a `service` principal whose scopes the identity hook already checked against this route.
    if (request.auth.role !== 'service') throw new StratusError('auth/forbidden', NO_CREDENTIALS)
    const uid = request.auth.uid
    request.adminCaller = uid.startsWith(API_KEY_UID_PREFIX)
      ? { type: 'service', id: uid }
      : { type: 'service' }
    return
  }
  const cookie = request.adminToken ? undefined : readCookie(request, SESSION_COOKIE)
  const token = request.adminToken ?? cookie
  if (!token || !options.admins) throw new StratusError('auth/unauthenticated', NO_CREDENTIALS)
  const admin = await options.admins.authenticate(token)
  if (!admin)
    throw new StratusError('auth/unauthenticated', 'The admin session has expired or was signed out')
  if (cookie && !isReadMethod(request.method)) {
    // Double submit: a cross-site page can make the browser send the cookie, not read the CSRF cookie.
    const expected = readCookie(request, CSRF_COOKIE)
    const sent = request.headers[CSRF_HEADER]
    if (!expected || typeof sent !== 'string' || !sameSecret(sent, expected)) {
      throw new StratusError(
        'auth/forbidden',
        `Changes made with the session cookie need the ${CSRF_HEADER} header (the ${CSRF_COOKIE} cookie's value)`,
      )
    }
  }
  const caller: AdminCaller = { type: 'admin', via: cookie ? 'cookie' : 'bearer', token, ...admin }
  request.adminCaller = caller
  if (!adminMayCall(admin.role, request.method, pattern)) {
    throw new StratusError('auth/forbidden', `The ${admin.role} role may not ${request.method} this route`)
  }
  // The data-plane routes read `request.auth`; the service key's is already set.
  if (isAdminAppRoute(pattern)) request.auth = adminAuthContext(admin)
}

/** Reads the resource a PUT/PATCH/DELETE is about to change, when a GET route serves the same URL. */
async function readBefore(request: FastifyRequest, options: AdminGuardOptions): Promise<void> {
  const pattern = request.routeOptions.url
  if (!options.admins || !pattern || !['PUT', 'PATCH', 'DELETE'].includes(request.method)) return
  if (adminRouteAccess(request.method, pattern) === 'self') return
  // The app API's GETs answer documents and object bytes: a download per write is no audit trail.
  if (isAdminAppRoute(pattern)) return
  if (!request.server.hasRoute({ method: 'GET', url: pattern })) return
  const response = await request.server.inject({
    method: 'GET',
    url: request.url.split('?')[0]!,
    headers: { authorization: `Bearer ${await options.serviceToken()}` },
  })
  if (response.statusCode === 200) {
    try {
      request.auditBefore = response.json()
    } catch {
      // Not JSON: nothing to show.
    }
  }
}

/**
 * The request body as the audit log keeps it. An object upload's body is the request stream (read by
 * the handler, never buffered): its entry says what was sent, not the bytes.
 */
function auditedBody(request: FastifyRequest): unknown {
  const body = request.body
  if (body && typeof body === 'object' && typeof (body as { pipe?: unknown }).pipe === 'function') {
    const length = Number(request.headers['content-length'])
    return {
      contentType: request.headers['content-type'] ?? null,
      contentLength: Number.isSafeInteger(length) ? length : null,
    }
  }
  return body ?? undefined
}

/** Records one audit entry for a successful change. */
async function recordAudit(
  request: FastifyRequest,
  reply: FastifyReply,
  options: AdminGuardOptions,
): Promise<void> {
  const caller = request.adminCaller
  const pattern = request.routeOptions.url ?? request.url.split('?')[0]!
  if (!options.admins || !caller || !isChange(request.method, request.routeOptions.url)) return
  if (reply.statusCode < 200 || reply.statusCode >= 300) return
  try {
    await options.admins.audit.record({
      actor: auditActor(caller),
      action: `${request.method} ${pattern}`,
      target: (request.params ?? {}) as Record<string, unknown>,
      before: request.auditBefore,
      after: auditedBody(request),
      ip: request.ip,
    })
  } catch (error) {
    // The change is made: failing its answer would tell the client it was not. Loud in the logs instead.
    request.log.error(
      { err: error, action: `${request.method} ${pattern}` },
      'could not write the audit entry',
    )
  }
}

/**
 * The admin scope's guard: decides who calls (service key, or an admin by bearer token or cookie with
 * its CSRF header), checks the role against the route (see `admin-access.ts`), and writes one audit
 * entry per successful change, with the resource's state before it when a GET can read it.
 */
export function installAdminGuard(scope: FastifyInstance, options: AdminGuardOptions): void {
  scope.decorateRequest('adminCaller', null)
  scope.decorateRequest('auditBefore', undefined)
  // onRequest, not preHandler: a caller without credentials learns nothing, not even validation errors.
  scope.addHook('onRequest', (request) => admit(request, options))
  scope.addHook('preHandler', (request) => readBefore(request, options))
  scope.addHook('onSend', async (request, reply, payload) => {
    await recordAudit(request, reply, options)
    return payload
  })
}

/** The guard of the admin scope's not-found handler: unknown paths answer 401/403 to strangers too. */
export function admitUnknownRoute(options: AdminGuardOptions): (request: FastifyRequest) => Promise<void> {
  return (request) => admit(request, options)
}
