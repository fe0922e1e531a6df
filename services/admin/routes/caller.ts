import type { FastifyRequest } from 'fastify'
import { StratusError } from '../../core/errors.ts'
import type { AuditActor } from '../audit.ts'
import type { AdminPrincipal } from '../service.ts'

/**
 * Who calls an `/admin/v1` route, decided by the gateway's admin scope before any handler runs: the
 * service key (or an API key within its scopes, `id` `apikey:<id>`), or an admin through a session
 * token (bearer or cookie). Null on the one route reachable without credentials (POST /session), until
 * it signs someone in.
 */
export type AdminCaller =
  | { type: 'service'; id?: string }
  | ({ type: 'admin'; via: 'bearer' | 'cookie'; token: string } & AdminPrincipal)

/** How the audit log names `caller`. */
export function auditActor(caller: AdminCaller): AuditActor {
  if (caller.type === 'admin') return { type: 'admin', id: caller.id, email: caller.email }
  return caller.id === undefined ? { type: 'service' } : { type: 'service', id: caller.id }
}

declare module 'fastify' {
  interface FastifyRequest {
    adminCaller: AdminCaller | null
  }
}

/** The signed-in admin of a route that acts on the caller's own account (the service key has none). */
export function signedInAdmin(request: FastifyRequest): Extract<AdminCaller, { type: 'admin' }> {
  const caller = request.adminCaller
  if (caller?.type !== 'admin')
    throw new StratusError('request/invalid', 'This route acts on an admin session; the service key has none')
  return caller
}
