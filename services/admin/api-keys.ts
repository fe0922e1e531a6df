import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { StratusError } from '../core/errors.ts'
import { newSecret } from '../core/ids.ts'
import type { Logger } from '../core/logger.ts'
import type { Database } from '../db/database.ts'
import type { AuditActor } from './audit.ts'

/**
 * What an API key may be allowed to do, and what each scope covers (the gateway maps routes onto them:
 * services/gateway/api-key-scopes.ts). A key acts with the service key's powers, inside its scopes.
 */
export const API_KEY_SCOPES = {
  admin: 'everything the service key can do, API keys and the service key included',
  'admin:read': 'reads under /admin/v1, as a viewer admin may (never keys, API keys or admin accounts)',
  'functions:deploy':
    'functions and app deployments: /admin/v1/functions… and /admin/v1/deployments…, every method',
  'functions:invoke': 'call functions over HTTP: /functions/v1…',
  'db:read': 'read documents above the collection rules: GET on /db/v1…, and realtime subscriptions',
  'db:write': 'write documents above the collection rules: POST, PUT, PATCH, DELETE on /db/v1…',
  'storage:read': 'read objects above the bucket rules: GET and HEAD on /storage/v1…, signed URLs',
  'storage:write': 'upload and delete objects above the bucket rules: PUT, POST, DELETE on /storage/v1…',
  'queue:publish': 'publish messages above the queue rules: /queue/v1…',
} as const

/** One scope an API key may hold. */
export type ApiKeyScope = keyof typeof API_KEY_SCOPES

/** Every scope, in the order of API_KEY_SCOPES. */
export const API_KEY_SCOPE_NAMES = Object.keys(API_KEY_SCOPES) as ApiKeyScope[]

/** An API key as the admin API shows it: never its secret, which is shown once at creation. */
export interface ApiKey {
  id: string
  name: string
  scopes: ApiKeyScope[]
  expiresAt: string | null
  createdAt: string
  createdBy: AuditActor
  /** When it was last presented (updated at most once a minute). */
  lastUsedAt: string | null
  revokedAt: string | null
}

/** A key that verified: who calls, and what it may do. */
export interface ApiKeyPrincipal {
  id: string
  name: string
  scopes: readonly ApiKeyScope[]
}

/** What creating a key takes. `expiresAt` (ISO 8601) and `expiresInDays` exclude each other; neither = never. */
export interface NewApiKey {
  name: string
  scopes: readonly string[]
  expiresAt?: string
  expiresInDays?: number
}

/** Options of the API key service. */
export interface ApiKeyServiceOptions {
  db: Database
  logger: Logger
  /** How long a node trusts what it read of a key (revocation bound across nodes); default 5 s. */
  recheckMs?: number
}

/** Every API key starts with this, so the gateway tells one from a JWT or an admin token unparsed. */
export const API_KEY_PREFIX = 'sk_'
/** A node re-reads a key it verified after this long, so a revocation through another node lands within it. */
export const API_KEY_RECHECK_MS = 5000
// lastUsedAt moves at most this often per key and node (and the UPDATE itself skips a fresher value).
const TOUCH_INTERVAL_MS = 60_000
const CACHE_SIZE = 10_000
// `sk_<24 hex: the id>_<43 base64url: 256 random bits>`: fixed widths, since base64url holds `_` too.
const KEY_PATTERN = /^sk_([0-9a-f]{24})_[A-Za-z0-9_-]{43}$/
const MAX_NAME_LENGTH = 100
const MAX_LIFETIME_DAYS = 3650

interface ApiKeyRow extends Record<string, unknown> {
  id: string
  name: string
  secret_hash: string
  scopes: string[]
  expires_at: Date | null
  created_at: Date
  created_by: AuditActor
  last_used_at: Date | null
  revoked_at: Date | null
}

const COLUMNS = 'id, name, secret_hash, scopes, expires_at, created_at, created_by, last_used_at, revoked_at'

/** True when `token` has the shape of an API key (the gateway then verifies it here, not as a JWT). */
export function isApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX)
}

/** True when `value` names a scope. */
export function isApiKeyScope(value: string): value is ApiKeyScope {
  return Object.hasOwn(API_KEY_SCOPES, value)
}

// SHA-256, not argon2: the secret is 256 random bits, beyond any guessing however fast the hash, so a
// slow password hash would protect nothing and cost every request (or a cache) tens of milliseconds.
function hashKey(key: string): Buffer {
  return createHash('sha256').update(key).digest()
}

function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes.filter(isApiKeyScope),
    expiresAt: row.expires_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    createdBy: row.created_by,
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
  }
}

const invalid = (field: string, message: string) =>
  new StratusError('request/invalid', message, { details: { field } })
const notFound = (id: string) => new StratusError('auth/api-key-not-found', `No API key ${id}`)
const badKey = () => new StratusError('auth/unauthenticated', 'The API key is invalid')

/** The scopes of a new key: known names, at least one, each once. */
function checkScopes(scopes: readonly string[]): ApiKeyScope[] {
  if (scopes.length === 0) throw invalid('scopes', 'An API key needs at least one scope')
  const unknown = scopes.filter((scope) => !isApiKeyScope(scope))
  if (unknown.length > 0) {
    throw new StratusError('request/invalid', `Unknown scope ${unknown.map((s) => `"${s}"`).join(', ')}`, {
      details: { field: 'scopes', unknown, known: API_KEY_SCOPE_NAMES },
    })
  }
  return [...new Set(scopes as ApiKeyScope[])]
}

/** When a new key lapses, from `expiresAt` or `expiresInDays` (null: never). */
function checkExpiry(input: NewApiKey, now: number): Date | null {
  if (input.expiresAt !== undefined && input.expiresInDays !== undefined)
    throw invalid('expiresAt', 'Give expiresAt or expiresInDays, not both')
  if (input.expiresInDays !== undefined) {
    const days = input.expiresInDays
    if (!Number.isInteger(days) || days < 1 || days > MAX_LIFETIME_DAYS)
      throw invalid('expiresInDays', `expiresInDays must be a whole number from 1 to ${MAX_LIFETIME_DAYS}`)
    return new Date(now + days * 86_400_000)
  }
  if (input.expiresAt === undefined) return null
  const at = Date.parse(input.expiresAt)
  if (Number.isNaN(at)) throw invalid('expiresAt', 'expiresAt must be an ISO 8601 date and time')
  if (at <= now) throw invalid('expiresAt', 'expiresAt must be in the future')
  if (at > now + MAX_LIFETIME_DAYS * 86_400_000)
    throw invalid('expiresAt', `expiresAt must be within ${MAX_LIFETIME_DAYS} days`)
  return new Date(at)
}

/**
 * Scoped, revocable API keys for CI and servers. A key is `sk_<id>_<secret>`, shown once; the table
 * keeps the SHA-256 of the whole key. Verification reads a key's row at most every `recheckMs` per
 * node (a revocation made here applies at once, through another node within that bound) and moves
 * `lastUsedAt` at most once a minute. Knows nothing of HTTP: the gateway maps routes onto scopes.
 */
export class ApiKeyService {
  private readonly db: Database
  private readonly logger: Logger
  private readonly recheckMs: number
  /** key id → its row as last read, and when (epoch ms). Only keys that exist. */
  private readonly cache = new Map<string, { row: ApiKeyRow; at: number }>()
  /** key id → when this node last wrote its lastUsedAt (epoch ms). */
  private readonly touched = new Map<string, number>()
  private readonly writes = new Set<Promise<unknown>>()

  constructor(options: ApiKeyServiceOptions) {
    this.db = options.db
    this.logger = options.logger
    this.recheckMs = options.recheckMs ?? API_KEY_RECHECK_MS
  }

  /** Creates a key; `key` is its secret form, returned this once. */
  async create(input: NewApiKey, createdBy: AuditActor): Promise<{ apiKey: ApiKey; key: string }> {
    const name = input.name.trim()
    if (name.length === 0 || name.length > MAX_NAME_LENGTH)
      throw invalid('name', `The name must be 1 to ${MAX_NAME_LENGTH} characters`)
    const scopes = checkScopes(input.scopes)
    const expiresAt = checkExpiry(input, Date.now())
    const id = randomBytes(12).toString('hex')
    const key = `${API_KEY_PREFIX}${id}_${newSecret(32)}`
    const [row] = await this.db.query<ApiKeyRow>(
      `INSERT INTO api_keys (id, name, secret_hash, scopes, expires_at, created_by)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
      [id, name, hashKey(key).toString('hex'), scopes, expiresAt, JSON.stringify(createdBy)],
    )
    return { apiKey: toApiKey(row!), key }
  }

  /** Every key, revoked and expired ones included, newest first (a handful of rows: no paging). */
  async list(): Promise<ApiKey[]> {
    const rows = await this.db.query<ApiKeyRow>(
      `SELECT ${COLUMNS} FROM api_keys ORDER BY created_at DESC, id DESC`,
    )
    return rows.map(toApiKey)
  }

  async get(id: string): Promise<ApiKey> {
    const [row] = await this.db.query<ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1`, [id])
    if (!row) throw notFound(id)
    return toApiKey(row)
  }

  /** Revokes a key (again: a no-op that keeps the first revocation time). */
  async revoke(id: string): Promise<ApiKey> {
    const [row] = await this.db.query<ApiKeyRow>(
      `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING ${COLUMNS}`,
      [id],
    )
    this.cache.delete(id)
    if (!row) throw notFound(id)
    return toApiKey(row)
  }

  /**
   * The key `token` names, if it is live. Unknown or wrong → `auth/unauthenticated`; revoked →
   * `auth/unauthenticated`; past its expiry → `auth/token-expired`.
   */
  async verify(token: string): Promise<ApiKeyPrincipal> {
    const id = KEY_PATTERN.exec(token)?.[1]
    if (!id) throw badKey()
    const row = await this.read(id)
    const stored = row && Buffer.from(row.secret_hash, 'hex')
    const given = hashKey(token)
    if (!stored || stored.length !== given.length || !timingSafeEqual(stored, given)) throw badKey()
    if (row.revoked_at) throw new StratusError('auth/unauthenticated', 'The API key was revoked')
    if (row.expires_at && row.expires_at.getTime() <= Date.now()) {
      throw new StratusError('auth/token-expired', `The API key expired at ${row.expires_at.toISOString()}`)
    }
    this.touch(id)
    return { id: row.id, name: row.name, scopes: row.scopes.filter(isApiKeyScope) }
  }

  /** Resolves once the lastUsedAt writes started so far have finished (before the database closes). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.writes])
  }

  private async read(id: string): Promise<ApiKeyRow | undefined> {
    const now = Date.now()
    const hit = this.cache.get(id)
    if (hit && now - hit.at < this.recheckMs) return hit.row
    const [row] = await this.db.query<ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1`, [id])
    this.cache.delete(id)
    if (!row) return undefined
    if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string)
    this.cache.set(id, { row, at: now })
    return row
  }

  private touch(id: string): void {
    const now = Date.now()
    if (now - (this.touched.get(id) ?? 0) < TOUCH_INTERVAL_MS) return
    this.touched.delete(id)
    if (this.touched.size >= CACHE_SIZE) this.touched.delete(this.touched.keys().next().value as string)
    this.touched.set(id, now)
    // Off the request's path: the answer never waits for this write, nor fails with it.
    const write = this.db
      .query(
        `UPDATE api_keys SET last_used_at = now()
         WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
        [id],
      )
      .catch((error: unknown) => this.logger.warn({ err: error, apiKey: id }, 'could not record API key use'))
      .finally(() => this.writes.delete(write))
    this.writes.add(write)
  }
}
