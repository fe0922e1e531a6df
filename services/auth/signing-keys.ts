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
import { isSealed, type Sealed, type SecretBox, seal, unseal } from './secret-box.ts'
import { ServiceKeys } from './service-keys.ts'
import { REVOCATION_CHECK_MS, SessionRevocations } from './session-revocations.ts'

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
// Service keys are long-lived credentials, as Supabase's service_role keys are; a service-key rotation
// revokes them (see ServiceKeys), whatever their expiry.
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
  /** Sealed with the secret box (plaintext in rows written before, or without a key configured). */
  private_jwk: JWK | Sealed
  public_jwk: JWK
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
  /**
   * The newest key, imported on first use: a node that only verifies (or a tool without
   * AUTH_ENCRYPTION_KEY) never needs to decrypt a private key.
   */
  private signer: { kid: string; key: () => Promise<PrivateKey> } | undefined
  private jwkSet: ReturnType<typeof createLocalJWKSet> | undefined
  private lastReload = 0
  /** token → who it names and until when (unix seconds, skew included); only tokens that verified. */
  private readonly verified = new Map<string, { auth: AuthContext; until: number }>()
  /** function name → its ctx clients' token, and when to sign a new one (epoch ms). */
  private readonly functionTokens = new Map<string, { token: Promise<string>; renewAt: number }>()
  /** Which service-role JWTs are live: a valid signature alone no longer admits one. */
  private readonly serviceKeys: ServiceKeys
  /** Ended sessions and deleted users, whose access tokens are refused before they expire. */
  readonly revocations: SessionRevocations
  /** Encrypts private keys at rest (AUTH_ENCRYPTION_KEY); unavailable = they stay plaintext. */
  private readonly secrets: SecretBox | undefined

  private constructor(db: Database, revocationCheckMs: number, secrets: SecretBox | undefined) {
    this.db = db
    this.secrets = secrets
    this.serviceKeys = new ServiceKeys(db)
    this.revocations = new SessionRevocations(db, revocationCheckMs)
  }

  /**
   * Loads the keys, creating the project's first key (and service key) if there is none.
   * `revocationCheckMs` bounds how long a revoked session's access tokens still verify on this node.
   * With `secrets` available, private keys are stored encrypted, and keys stored in plaintext before
   * are encrypted here (once, whichever node gets there first).
   */
  static async open(
    db: Database,
    options: { revocationCheckMs?: number; secrets?: SecretBox } = {},
  ): Promise<{ keys: SigningKeys; created: boolean }> {
    const keys = new SigningKeys(db, options.revocationCheckMs ?? REVOCATION_CHECK_MS, options.secrets)
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
    await keys.serviceKeys.reload()
    await keys.sealStored()
    return { keys, created }
  }

  /**
   * Encrypts the private keys still stored in plaintext (written before keys were encrypted, or while
   * no key was configured); returns how many. Nothing to do without an available secret box.
   */
  async sealStored(): Promise<number> {
    const secrets = this.secrets
    if (!secrets?.available) return 0
    return this.db.withAdvisoryLock(727_274_003, async () => {
      const rows = await this.db.query<KeyRow>('SELECT kid, private_jwk FROM signing_keys')
      let sealed = 0
      for (const row of rows) {
        if (isSealed(row.private_jwk)) continue
        await this.db.query('UPDATE signing_keys SET private_jwk = $2 WHERE kid = $1', [
          row.kid,
          JSON.stringify(seal(secrets, JSON.stringify(row.private_jwk), signingKeyContext(row.kid))),
        ])
        sealed++
      }
      return sealed
    })
  }

  /** The private JWK of a stored row, decrypted when it was sealed. */
  private privateJwk(row: KeyRow): JWK {
    if (!isSealed(row.private_jwk)) return row.private_jwk
    if (!this.secrets) throw new Error('signing keys are encrypted: AUTH_ENCRYPTION_KEY is needed')
    return JSON.parse(unseal(this.secrets, row.private_jwk, signingKeyContext(row.kid))) as JWK
  }

  /**
   * Adds a new signing key (the old ones keep verifying) and returns its kid. The service key is
   * re-issued with it; the previous service keys stay valid (rotate the service key to revoke them).
   */
  async rotate(): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG, { extractable: true })
    const kid = randomUUID()
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALG, use: 'sig' }
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: SIGNING_ALG, use: 'sig' }
    const service = await signServiceToken(privateKey, kid)
    await this.db.tx(async (tx) => {
      await tx.query(
        'INSERT INTO signing_keys (kid, alg, private_jwk, public_jwk, service_token) VALUES ($1, $2, $3, $4, $5)',
        [
          kid,
          SIGNING_ALG,
          JSON.stringify(
            this.secrets?.available
              ? seal(this.secrets, JSON.stringify(privateJwk), signingKeyContext(kid))
              : privateJwk,
          ),
          JSON.stringify(publicJwk),
          service.token,
        ],
      )
      await ServiceKeys.add(tx, service, { revokeOthers: false })
    })
    await this.reload()
    await this.serviceKeys.reload()
    return kid
  }

  /**
   * Issues a new service key (signed with the newest signing key) and revokes every other one: this
   * node refuses them at once, every other node within SERVICE_KEY_RECHECK_MS. Returns the new key
   * and its id (the JWT's `jti`).
   */
  async rotateServiceKey(): Promise<{ id: string; service: string }> {
    const signer = this.signer
    if (!signer) throw new Error('no signing key')
    const service = await signServiceToken(await signer.key(), signer.kid)
    await this.db.tx((tx) => ServiceKeys.add(tx, service, { revokeOthers: true }))
    await this.serviceKeys.reload()
    return { id: service.id, service: service.token }
  }

  /** Re-reads the keys from the database. */
  async reload(): Promise<void> {
    this.rows = await this.db.query<KeyRow>(
      'SELECT kid, alg, private_jwk, public_jwk, created_at, retired_at FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC, kid',
    )
    this.lastReload = Date.now()
    const newest = this.rows[0]
    this.signer = newest
      ? { kid: newest.kid, key: memoize(() => importJWK(this.privateJwk(newest), newest.alg)) }
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

  /**
   * The newest live service key, as this node last read it (a rotation through another node shows here
   * once something presents a service key, or through `currentServiceToken`).
   */
  serviceToken(): string {
    const current = this.serviceKeys.current()
    if (!current) throw new Error('no service key')
    return current.token
  }

  /** The newest live service key, re-read first if this node's list may be stale. */
  async currentServiceToken(): Promise<string> {
    await this.serviceKeys.refresh()
    return this.serviceToken()
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
    // Held once: a reload while the key is imported must not pair one key's kid with another's key.
    const signer = this.signer
    if (!signer) throw new Error('no signing key')
    const now = issuedAt
    return new SignJWT(claims)
      .setProtectedHeader({ alg: SIGNING_ALG, kid: signer.kid, typ: 'JWT' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSeconds)
      .sign(await signer.key())
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
   * wrong (signature, audience, issuer, shape, no `exp`, an `iat` in the future), a service key that
   * is no longer live, or a user token whose session ended (logout, deletion…; see
   * SessionRevocations for the bound) → `auth/unauthenticated`. Every service verifies through here.
   */
  async verify(token: string): Promise<AuthContext> {
    const auth = await this.verifySignature(token)
    if (auth.role === 'service' && !(await this.serviceKeys.isLive(token))) {
      throw new StratusError(
        'auth/unauthenticated',
        'This service key was revoked by a rotation; use the current one (`stratus keys`)',
      )
    }
    if (
      (auth.role === 'authenticated' || auth.role === 'anon') &&
      (await this.revocations.isRevoked(auth.claims))
    ) {
      throw new StratusError('auth/unauthenticated', 'The session has ended; sign in again')
    }
    return auth
  }

  private async verifySignature(token: string): Promise<AuthContext> {
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
      // A token that never expires, or one "issued" later than now, was not issued by us as we issue
      // tokens: only a holder of the signing key could make one, and it must not outlive a revocation.
      if (typeof payload.exp !== 'number') {
        throw new StratusError('auth/unauthenticated', 'The access token has no expiry (exp)')
      }
      if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + CLOCK_SKEW_SECONDS) {
        throw new StratusError('auth/unauthenticated', 'The access token is issued in the future (iat)')
      }
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

/** `load` run once, on first call (a failure is not kept: the next call tries again). */
function memoize<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined
  return () => {
    pending ??= load().catch((error: unknown) => {
      pending = undefined
      throw error
    })
    return pending
  }
}

/** What a private key's ciphertext is bound to: it decrypts in its own row only. */
function signingKeyContext(kid: string): string {
  return `signing-key:${kid}`
}

/** A service-role JWT signed with `key`, with a fresh `jti` (its id in `service_keys`). */
async function signServiceToken(
  key: PrivateKey,
  kid: string,
): Promise<{ id: string; token: string; kid: string }> {
  const id = randomUUID()
  const now = Math.floor(Date.now() / 1000)
  const token = await new SignJWT({ role: 'service' })
    .setProtectedHeader({ alg: SIGNING_ALG, kid, typ: 'JWT' })
    .setSubject('service')
    .setJti(id)
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + SERVICE_TOKEN_LIFETIME_SECONDS)
    .sign(key)
  return { id, token, kid }
}
