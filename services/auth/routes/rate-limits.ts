import type { RateLimitOptions } from '@fastify/rate-limit'
import type { FastifyRequest } from 'fastify'
import type { Config } from '../../core/config.ts'

/**
 * The rate-limited auth actions (each counted per client IP, in its own bucket). Failed sign-ins per
 * account are counted by the auth service (its own throttle), not here.
 */
export type LimitedAction = keyof Omit<Config['auth']['rateLimit'], 'windowSeconds' | 'signinAccount'>

/**
 * The `config.rateLimit` of a route limited as `action` (undefined = unlimited, when its limit is 0).
 * Counters live in the gateway's rate-limit store (Redis when configured, so they hold across nodes).
 */
export function rateLimitFor(
  limits: Config['auth']['rateLimit'],
  action: LimitedAction,
): RateLimitOptions | undefined {
  const max = limits[action]
  if (max === 0) return undefined
  return { max, timeWindow: limits.windowSeconds * 1000, keyGenerator: (req) => `${action}:${req.ip}` }
}

/**
 * The limit of a route serving several actions, chosen per request by `pick` (POST /token serves
 * password sign-ins and refreshes, limited separately).
 */
export function rateLimitBy(
  limits: Config['auth']['rateLimit'],
  pick: (req: FastifyRequest) => LimitedAction | undefined,
): RateLimitOptions | undefined {
  const maxOf = (req: FastifyRequest) => {
    const action = pick(req)
    return action === undefined ? 0 : limits[action]
  }
  return {
    max: (req) => maxOf(req),
    allowList: (req) => maxOf(req) === 0,
    timeWindow: limits.windowSeconds * 1000,
    keyGenerator: (req) => `${pick(req)}:${req.ip}`,
  }
}

/**
 * The limit of `action` counted per signed-in user (per IP for a caller without a token): for MFA
 * codes, where an attacker holding a password could otherwise spread guesses over many addresses.
 * `bucket` names the route's own counter (the in-process store keeps one per route anyway; naming it
 * keeps Redis alike).
 */
export function rateLimitPerUser(
  limits: Config['auth']['rateLimit'],
  action: LimitedAction,
  bucket: string,
): RateLimitOptions | undefined {
  const max = limits[action]
  if (max === 0) return undefined
  const prefix = `${action}:${bucket}`
  return {
    max,
    timeWindow: limits.windowSeconds * 1000,
    keyGenerator: (req) => (req.auth ? `${prefix}:user:${req.auth.uid}` : `${prefix}:${req.ip}`),
  }
}
