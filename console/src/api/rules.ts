import { api } from './http.ts'

/** Where in an expression: 1-based line and column, 0-based offset (UTF-16 code units). */
export interface RulePosition {
  line: number
  column: number
  offset: number
}

export interface RuleProblem {
  message: string
  position: RulePosition
  /** Where the faulty part ends (exclusive), when known. */
  end?: RulePosition
}

export type RuleCheck = { ok: true } | { ok: false; error: RuleProblem }

/** `POST /admin/v1/rules/check`: whether `expression` would be accepted as a rule (nothing is saved). */
export function checkRule(expression: string, signal?: AbortSignal): Promise<RuleCheck> {
  return api<RuleCheck>('POST', '/admin/v1/rules/check', {
    body: { expression },
    ...(signal ? { signal } : {}),
  })
}

export const SIMULATED_OPERATIONS = ['read', 'list', 'create', 'update', 'delete'] as const
export type SimulatedOperation = (typeof SIMULATED_OPERATIONS)[number]

/** The simulated caller: anon (null), an existing user (claims laid over theirs), or made-up claims. */
export type SimulatedAuth =
  | null
  | { uid: string; claims?: Record<string, unknown> }
  | { claims: Record<string, unknown> }

/** `POST /admin/v1/rules/simulate`'s question. */
export interface SimulationRequest {
  target: 'document' | 'object'
  collection?: string
  id?: string
  bucket?: string
  key?: string
  operation: SimulatedOperation
  auth: SimulatedAuth
  /** `request.data` of a write (documents), or what an upload declares (objects). */
  data?: Record<string, unknown>
  /** The stored document or object to assume instead of the one at id/key. */
  existing?: Record<string, unknown>
}

/** The part of the rule that settled the outcome. */
export interface DecidingPart {
  expression: string
  start: RulePosition
  end: RulePosition
  value: boolean | null
}

/** The simulator's answer. */
export interface Simulation {
  allowed: boolean
  /** The rule expression that decided, as stored; null when none did (no rules, a public bucket). */
  rule: string | null
  /** Which stored rule applies (`read`, `create`, … `write`). */
  action: string | null
  /** Why that rule, when it is not named like the operation (`list` uses `read`…). */
  fallback?: string
  explanation?: string
  decidedBy?: DecidingPart
  /** Each variable path the rule mentions, with its value. */
  bindings: Record<string, unknown>
  /** Paths the rule mentions that are absent (reading one fails, so the rule denies). */
  missing?: string[]
  error?: RuleProblem
  /** A list whose rule depends on each item: it runs and leaves out what the rule refuses. */
  perItem?: boolean
  /** The caller as the rule saw it. */
  auth?: { uid: string; role: string; email: string | null; claims: Record<string, unknown> } | null
}

export function simulateRule(request: SimulationRequest, signal?: AbortSignal): Promise<Simulation> {
  return api<Simulation>('POST', '/admin/v1/rules/simulate', { body: request, ...(signal ? { signal } : {}) })
}

/** An app user as the admin API lists them (the fields the simulator shows). */
export interface AppUser {
  id: string
  email: string | null
  anonymous: boolean
}

/**
 * Users whose email holds `email` (`GET /admin/v1/users?email=`). The server narrows by email; the
 * console filters the answer too, so a server that ignores the parameter still gives the right few.
 */
export async function findUsers(email: string, signal?: AbortSignal): Promise<AppUser[]> {
  const { users } = await api<{ users: AppUser[] }>('GET', '/admin/v1/users', {
    query: { email, limit: 50 },
    ...(signal ? { signal } : {}),
  })
  const wanted = email.trim().toLowerCase()
  return users.filter((user) => user.email?.toLowerCase().includes(wanted))
}

/** Bucket names (`GET /admin/v1/buckets`), to suggest in the simulator. */
export async function bucketNames(signal?: AbortSignal): Promise<string[]> {
  const { buckets } = await api<{ buckets: { name: string }[] }>(
    'GET',
    '/admin/v1/buckets',
    signal ? { signal } : {},
  )
  return buckets.map((bucket) => bucket.name)
}
