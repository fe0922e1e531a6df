import { randomUUID } from 'node:crypto'
import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  errors as joseErrors,
  jwtVerify,
  SignJWT,
} from 'jose'
import { StratusError } from '../core/errors.ts'
import type { Database } from '../db/database.ts'

type PrivateKey = Awaited<ReturnType<typeof importJWK>>

/**
 * Whether `auth` acts above the data rules: the service key, a function through its ctx clients, or an
 * admin on `/admin/v1/app`. Only the service key and admin sessions may use the admin API: see the
 * gateway's admin guard.
 */
export function bypassesRules(auth: AuthContext | null): boolean {
  return auth?.role === 'service' || auth?.role === 'function' || auth?.role === 'admin'
}

/** Every token we issue or accept carries this audience and issuer. */
export const TOKEN_AUDIENCE = 'stratus'
export const TOKEN_ISSUER = 'stratus'
/** ES256: verifiable by every JOSE library and by browsers' WebCrypto. */
export const SIGNING_ALG = 'ES256'
/** Seconds of clock skew tolerated between nodes and clients when checking `exp`/`iat`. */
export const CLOCK_SKEW_SECONDS = 30
// Verified tokens remembered, so a client presenting the same access token on every request pays one
// ES256 verification (~0.2 ms of CPU) per token rather than per request. Bounded; oldest out first.
const VERIFIED_CACHE_SIZE = 10_000
// Functions' ctx clients present a token of their own (role `function`), signed here and never handed to
// the function's code; re-signed at half its life so a rotation or retirement is picked up within it.
const FUNCTION_TOKEN_LIFETIME_SECONDS = 3600
// Service keys are long-lived credentials, as Supabase's service_role keys are; rotate to revoke.
const SERVICE_TOKEN_LIFETIME_SECONDS = 10 * 365 * 24 * 3600

/**
 * Who is calling, as every service sees it. `null` (no token) is the `anon` role. `function` is a
 * deployed function acting through its `ctx` clients (uid `function:<name>`): like the service key it
 * bypasses collection, bucket and queue rules, but it is never admitted to `/admin/v1`. `admin` is a
 * console admin on the app API under `/admin/v1/app` (uid `admin:<id>`): it bypasses rules too, and
 * only the gateway's admin guard sets it, after admitting the admin's session; no token carries it
 * (`verify` refuses a JWT that claims it).
 */
export interface AuthContext {
  uid: string
  role: 'authenticated' | 'service' | 'anon' | 'function' | 'admin'
  email: string | null
  /** Every claim of the verified token (sid, aal, …), for rules. */
  claims: JWTPayload & Record<string, unknown>
}

interface KeyRow extends Record<string, unknown> {
  kid: string
  alg: string
  private_jwk: JWK
  public_jwk: JWK
  service_token: string
  created_at: Date
  retired_at: Date | null
}

/**
 * The project's token signing keys, kept in the database so every node signs and verifies alike.
 * The newest unretired key signs; every unretired key verifies (so a rotation never invalidates live
 * tokens). Keys are cached and reloaded when a token names an unknown `kid` (another node rotated).
 */
export class SigningKeys {
  private readonly db: Database
  private rows: KeyRow[] = []
  private signer: { kid: string; key: PrivateKey } | undefined
  private jwkSet: ReturnType<typeof createLocalJWKSet> | undefined
  private lastReload = 0
  /** token → who it names and until when (unix seconds, skew included); only tokens that verified. */
  private readonly verified = new Map<string, { auth: AuthContext; until: number }>()
  /** function name → its ctx clients' token, and when to sign a new one (epoch ms). */
  private readonly functionTokens = new Map<string, { token: Promise<string>; renewAt: number }>()

  private constructor(db: Database) {
    this.db = db
  }

  /** Loads the keys, creating the project's first key (and service key) if there is none. */
  static async open(db: Database): Promise<{ keys: SigningKeys; created: boolean }> {
    const keys = new SigningKeys(db)
    let created = false
    await keys.reload()
    if (keys.rows.length === 0) {
      // Several nodes may boot at once on an empty database: one creates the key, the others reuse it.
      created = await db.withAdvisoryLock(727_274_002, async () => {
        await keys.reload()
        if (keys.rows.length > 0) return false
        await keys.rotate()
        return true
      })
      await keys.reload()
    }
    return { keys, created }
  }

  /** Adds a new signing key (the old ones keep verifying) and returns its kid. */
  async rotate(): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG, { extractable: true })
    const kid = randomUUID()
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALG, use: 'sig' }
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: SIGNING_ALG, use: 'sig' }
    const now = Math.floor(Date.now() / 1000)
    const serviceToken = await new SignJWT({ role: 'service' })
      .setProtectedHeader({ alg: SIGNING_ALG, kid, typ: 'JWT' })
      .setSubject('service')
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + SERVICE_TOKEN_LIFETIME_SECONDS)
      .sign(privateKey)
    await this.db.query(
      'INSERT INTO signing_keys (kid, alg, private_jwk, public_jwk, service_token) VALUES ($1, $2, $3, $4, $5)',
      [kid, SIGNING_ALG, JSON.stringify(privateJwk), JSON.stringify(publicJwk), serviceToken],
    )
    await this.reload()
    return kid
  }

  /** Re-reads the keys from the database. */
  async reload(): Promise<void> {
    this.rows = await this.db.query<KeyRow>(
      'SELECT kid, alg, private_jwk, public_jwk, service_token, created_at, retired_at FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC, kid',
    )
    this.lastReload = Date.now()
    const newest = this.rows[0]
    this.signer = newest
      ? { kid: newest.kid, key: await importJWK(newest.private_jwk, newest.alg) }
      : undefined
    this.jwkSet = createLocalJWKSet(this.jwks())
    // A key may have been retired: tokens must verify again against the current set.
    this.verified.clear()
    this.functionTokens.clear()
  }

  /** The public keys, as served at `/auth/v1/.well-known/jwks.json`. */
  jwks(): JSONWebKeySet {
    return { keys: this.rows.map((row) => row.public_jwk) }
  }

  /** The service-role JWT of the newest key. */
  serviceToken(): string {
    const newest = this.rows[0]
    if (!newest) throw new Error('no signing key')
    return newest.service_token
  }

  /**
   * Signs a token with the newest key. `claims` must hold `sub` and `role`; `exp` is `ttlSeconds` after
   * `issuedAt` (unix seconds, default now), so a caller can report the same expiry it signed.
   */
  async sign(
    claims: JWTPayload & { sub: string; role: string },
    ttlSeconds: number,
    issuedAt = Math.floor(Date.now() / 1000),
  ): Promise<string> {
    if (!this.signer) throw new Error('no signing key')
    const now = issuedAt
    return new SignJWT(claims)
      .setProtectedHeader({ alg: SIGNING_ALG, kid: this.signer.kid, typ: 'JWT' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSeconds)
      .sign(this.signer.key)
  }

  /**
   * The token function `name`'s ctx clients call the platform with: role `function`, subject
   * `function:<name>`. It bypasses data rules as the service key does, but the admin API refuses it,
   * so a function that bends its own requests still cannot reach `/admin/v1`.
   */
  functionToken(name: string): Promise<string> {
    const now = Date.now()
    const cached = this.functionTokens.get(name)
    if (cached && cached.renewAt > now) return cached.token
    const token = this.sign(
      { sub: `function:${name}`, role: 'function', fn: name },
      FUNCTION_TOKEN_LIFETIME_SECONDS,
    )
    this.functionTokens.set(name, { token, renewAt: now + (FUNCTION_TOKEN_LIFETIME_SECONDS * 1000) / 2 })
    token.catch(() => this.functionTokens.delete(name))
    return token
  }

  /**
   * Verifies a bearer token and returns who it names. Expired → `auth/token-expired`; anything else
   * wrong (signature, audience, issuer, shape) → `auth/unauthenticated`.
   */
  async verify(token: string): Promise<AuthContext> {
    const hit = this.verified.get(token)
    if (hit) {
      if (hit.until > Date.now() / 1000) return hit.auth
      this.verified.delete(token)
    }
    const auth = await this.verifyUncached(token)
    if (typeof auth.claims.exp === 'number') {
      if (this.verified.size >= VERIFIED_CACHE_SIZE) {
        this.verified.delete(this.verified.keys().next().value as string)
      }
      // Shared by every request presenting this token: frozen so no handler can alter another's view.
      Object.freeze(auth.claims)
      this.verified.set(token, { auth: Object.freeze(auth), until: auth.claims.exp + CLOCK_SKEW_SECONDS })
    }
    return auth
  }

  private async verifyUncached(token: string): Promise<AuthContext> {
    try {
      const { payload } = await this.verifyWithReload(token)
      const role = payload.role
      if (
        typeof payload.sub !== 'string' ||
        (role !== 'authenticated' && role !== 'service' && role !== 'anon' && role !== 'function')
      ) {
        throw new StratusError('auth/unauthenticated', 'The access token is missing its subject or role')
      }
      return {
        uid: payload.sub,
        role,
        email: typeof payload.email === 'string' ? payload.email : null,
        claims: payload as AuthContext['claims'],
      }
    } catch (error) {
      if (error instanceof StratusError) throw error
      if (error instanceof joseErrors.JWTExpired) {
        throw new StratusError('auth/token-expired', 'The access token has expired; refresh the session')
      }
      throw new StratusError('auth/unauthenticated', 'The access token is invalid', { cause: error })
    }
  }

  private async verifyWithReload(token: string) {
    const options = {
      audience: TOKEN_AUDIENCE,
      issuer: TOKEN_ISSUER,
      algorithms: [SIGNING_ALG],
      clockTolerance: CLOCK_SKEW_SECONDS,
    }
    try {
      return await jwtVerify(token, this.jwkSet!, options)
    } catch (error) {
      // A key created on another node since we loaded ours: reload, at most once a second.
      if (error instanceof joseErrors.JWKSNoMatchingKey && Date.now() - this.lastReload > 1000) {
        await this.reload()
        return jwtVerify(token, this.jwkSet!, options)
      }
      throw error
    }
  }
}
