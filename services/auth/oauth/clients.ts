import * as client from 'openid-client'
import { isLoopback } from './presets.ts'
import type { ProviderRecord } from './providers.ts'

/** What a provider told us about the person signing in. */
export interface ProviderProfile {
  /** The provider's stable id for them (`sub`, or `id` from a plain OAuth 2.0 profile API). */
  subject: string
  email: string | null
  /** Only true when the provider says so explicitly (`email_verified: true`, GitHub's verified flag). */
  emailVerified: boolean
  /** The profile claims, for `auth_identities.profile` (protocol claims such as nonce removed). */
  claims: Record<string, unknown>
}

/** A failure the callback reports to the app as `#error=<error>&error_description=<description>`. */
export class OAuthFailure extends Error {
  override name = 'OAuthFailure'
  /** An OAuth 2.0 error code (RFC 6749 §4.1.2.1): access_denied, invalid_request, server_error, … */
  readonly error: string
  constructor(error: string, description: string, options: { cause?: unknown } = {}) {
    super(description, options.cause === undefined ? undefined : { cause: options.cause })
    this.error = error
  }
}

const PROTOCOL_CLAIMS = new Set([
  'iss',
  'aud',
  'exp',
  'iat',
  'nbf',
  'nonce',
  'at_hash',
  'c_hash',
  'azp',
  'sid',
])
const DEFAULT_TTL_MS = 60 * 60 * 1000
const HTTP_TIMEOUT_SECONDS = 10

/**
 * openid-client configurations, one per provider, built on first use and kept for an hour (or until
 * the provider is changed: the cache is keyed by its `updatedAt`). An OIDC provider's is discovered
 * from its issuer; openid-client caches the provider's JWKS inside it, so ID tokens are verified
 * without fetching the keys on every sign-in. A failed discovery is not cached.
 */
export class OAuthClients {
  private readonly cache = new Map<
    string,
    { version: string; until: number; config: Promise<client.Configuration> }
  >()
  private readonly ttlMs: number

  constructor(options: { ttlMs?: number } = {}) {
    this.ttlMs = options.ttlMs ?? DEFAULT_TTL_MS
  }

  /** The openid-client configuration of `provider`. */
  configuration(provider: ProviderRecord): Promise<client.Configuration> {
    const hit = this.cache.get(provider.name)
    if (hit && hit.version === provider.updatedAt && hit.until > Date.now()) return hit.config
    const config = build(provider)
    const entry = { version: provider.updatedAt, until: Date.now() + this.ttlMs, config }
    this.cache.set(provider.name, entry)
    config.catch(() => {
      if (this.cache.get(provider.name) === entry) this.cache.delete(provider.name)
    })
    return config
  }

  /** Who signed in, from the ID token and the userinfo endpoint (OIDC) or the profile API (OAuth 2.0). */
  async profile(
    provider: ProviderRecord,
    config: client.Configuration,
    tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers,
  ): Promise<ProviderProfile> {
    if (provider.type === 'oidc') {
      const idToken = tokens.claims()
      if (!idToken) throw new OAuthFailure('invalid_request', 'The provider returned no ID token')
      const userinfo = config.serverMetadata().userinfo_endpoint
        ? await client.fetchUserInfo(config, tokens.access_token, idToken.sub)
        : {}
      return toProfile({ ...idToken, ...userinfo })
    }
    const response = await client.fetchProtectedResource(
      config,
      tokens.access_token,
      new URL(provider.userinfoUrl!),
      'GET',
      undefined,
      apiHeaders(),
    )
    if (!response.ok) {
      throw new OAuthFailure('server_error', `The provider's profile API answered ${response.status}`)
    }
    const info = (await response.json()) as unknown
    if (!info || typeof info !== 'object' || Array.isArray(info)) {
      throw new OAuthFailure('server_error', "The provider's profile API answered no JSON object")
    }
    const profile = toProfile(info as Record<string, unknown>)
    if (provider.preset === 'github') return withGithubEmail(config, tokens.access_token, provider, profile)
    return profile
  }
}

async function build(provider: ProviderRecord): Promise<client.Configuration> {
  const metadata = { client_secret: provider.clientSecret }
  let server: client.ServerMetadata
  if (provider.type === 'oidc') {
    const issuer = new URL(provider.issuer!)
    const discovered = await client.discovery(issuer, provider.clientId, metadata, undefined, {
      execute: insecure(issuer.href) ? [client.allowInsecureRequests] : [],
      timeout: HTTP_TIMEOUT_SECONDS,
    })
    server = discovered.serverMetadata()
  } else {
    server = {
      issuer: provider.issuer ?? new URL(provider.authorizationUrl!).origin,
      authorization_endpoint: provider.authorizationUrl!,
      token_endpoint: provider.tokenUrl!,
      userinfo_endpoint: provider.userinfoUrl!,
    }
  }
  const config = new client.Configuration(server, provider.clientId, metadata, clientAuth(provider, server))
  config.timeout = HTTP_TIMEOUT_SECONDS
  const urls = [server.issuer, server.authorization_endpoint, server.token_endpoint, server.userinfo_endpoint]
  if (urls.some((url) => url !== undefined && insecure(url))) client.allowInsecureRequests(config)
  // openid-client checks an ID token's issuer, audience, expiry and nonce; its signature (against the
  // provider's JWKS, cached in `config`) only with this on. TLS to the token endpoint would be enough
  // per OIDC Core §3.1.3.7, but a checked signature does not depend on it.
  if (provider.type === 'oidc') client.enableNonRepudiationChecks(config)
  return config
}

/**
 * How we authenticate at the token endpoint: HTTP Basic where the provider supports it (the OIDC
 * default; oidc-provider, Google), the client secret in the form otherwise (GitHub documents only that).
 */
function clientAuth(provider: ProviderRecord, server: client.ServerMetadata): client.ClientAuth {
  const methods = server.token_endpoint_auth_methods_supported
  if (provider.type === 'oauth2' && !methods) return client.ClientSecretPost(provider.clientSecret)
  if (!methods || methods.includes('client_secret_basic'))
    return client.ClientSecretBasic(provider.clientSecret)
  return client.ClientSecretPost(provider.clientSecret)
}

/** Plain http is allowed for loopback providers only (see `resolveProvider`). */
function insecure(url: string): boolean {
  const parsed = new URL(url)
  return parsed.protocol === 'http:' && isLoopback(parsed.hostname)
}

function apiHeaders(): Headers {
  // GitHub's API refuses requests without a User-Agent.
  return new Headers({ accept: 'application/json', 'user-agent': 'Stratus' })
}

function toProfile(claims: Record<string, unknown>): ProviderProfile {
  const rawSubject = claims.sub ?? claims.id
  const subject =
    typeof rawSubject === 'string' || typeof rawSubject === 'number' ? String(rawSubject) : undefined
  if (!subject) throw new OAuthFailure('server_error', 'The provider returned no user id (sub or id)')
  const email = typeof claims.email === 'string' && claims.email.includes('@') ? claims.email : null
  const verified = claims.email_verified === true || claims.email_verified === 'true'
  const kept: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(claims)) if (!PROTOCOL_CLAIMS.has(key)) kept[key] = value
  return { subject, email, emailVerified: email !== null && verified, claims: kept }
}

/** GitHub's `/user` has no verified flag: its `/user/emails` lists the addresses with theirs. */
async function withGithubEmail(
  config: client.Configuration,
  accessToken: string,
  provider: ProviderRecord,
  profile: ProviderProfile,
): Promise<ProviderProfile> {
  const response = await client.fetchProtectedResource(
    config,
    accessToken,
    new URL('/user/emails', provider.userinfoUrl!),
    'GET',
    undefined,
    apiHeaders(),
  )
  if (!response.ok) return { ...profile, emailVerified: false }
  const emails = (await response.json()) as { email?: unknown; primary?: unknown; verified?: unknown }[]
  if (!Array.isArray(emails)) return { ...profile, emailVerified: false }
  const verified = emails.filter((e) => e.verified === true && typeof e.email === 'string')
  const chosen = verified.find((e) => e.primary === true) ?? verified[0]
  if (!chosen) return { ...profile, emailVerified: false }
  return { ...profile, email: chosen.email as string, emailVerified: true }
}
