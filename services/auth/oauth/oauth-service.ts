import * as client from 'openid-client'
import { StratusError } from '../../core/errors.ts'
import { newSecret } from '../../core/ids.ts'
import type { Logger } from '../../core/logger.ts'
import type { Database } from '../../db/database.ts'
import type { SecretBox } from '../secret-box.ts'
import type { Sessions } from '../sessions.ts'
import { hashToken } from '../users.ts'
import { OAuthClients, OAuthFailure } from './clients.ts'
import { IdentitySignIn } from './identities.ts'
import { ProviderStore, providerNotFound } from './providers.ts'
import { RedirectAllowList, withFragment } from './redirect-urls.ts'

/** What the OAuth sign-in needs; built by `AuthService`. */
export interface OAuthServiceOptions {
  db: Database
  sessions: Sessions
  secrets: SecretBox
  logger: Logger
  /** The allow-list from the environment (AUTH_REDIRECT_URLS); the admin's list adds to it. */
  redirectUrls: readonly string[]
  /** Where to send a browser whose flow cannot be found (and the default `redirect_to`). */
  siteUrl?: string
  /** Public base URL of the API (AUTH_EXTERNAL_URL); unset = each request's own origin. */
  externalUrl?: string
  /** Called with the id of each user a sign-in changed (to drop cached copies). */
  onUserChanged: (uid: string) => void
}

/** The admin's sign-in settings (PUT /admin/v1/auth/settings). */
export interface AuthSettings {
  redirectUrls: string[]
}

/** A started sign-in: where to send the browser, and the cookie that binds the flow to it. */
export interface StartedSignIn {
  location: string
  browserBinding: string
  /** Our callback URL: the binding cookie is scoped to its path. */
  callbackUrl: string
}

interface StateRow extends Record<string, unknown> {
  provider: string
  redirect_to: string
  callback_url: string
  code_verifier: string
  nonce: string | null
  browser_hash: string
  expired: boolean
}

const SETTINGS_KEY = 'auth.settings'
/** How long a user may spend at the provider before the flow expires. */
const FLOW_TTL_SECONDS = 600
const CALLBACK_PATH = '/auth/v1/callback'
/** Longest provider-given error text echoed back to the app. */
const MAX_ERROR_LENGTH = 300

const invalidState = () =>
  new StratusError(
    'auth/invalid-state',
    'This sign-in is unknown, already finished or was tampered with: start again',
  )

/**
 * OAuth 2.0 / OpenID Connect sign-in: the authorization code flow with PKCE through openid-client.
 * `start` records the flow (state, nonce, PKCE verifier, redirect_to) in the database, so any node can
 * finish it, and returns the provider URL; `finish` spends the flow (single use, 10 minutes), has
 * openid-client check the response and the ID token (issuer, audience, signature, expiry, nonce),
 * signs the person in (see `IdentitySignIn`) and returns `redirect_to#access_token=…`. Whatever goes
 * wrong after the flow is found comes back as `redirect_to#error=…&error_description=…`.
 */
export class OAuthService {
  /** The configured providers (admin API). */
  readonly providers: ProviderStore
  private readonly options: OAuthServiceOptions
  private readonly db: Database
  private readonly clients = new OAuthClients()
  private readonly identities: IdentitySignIn

  constructor(options: OAuthServiceOptions) {
    this.options = options
    this.db = options.db
    this.providers = new ProviderStore({ db: options.db, secrets: options.secrets })
    this.identities = new IdentitySignIn({ db: options.db, sessions: options.sessions })
  }

  // ---- settings ----

  async settings(): Promise<AuthSettings> {
    const [row] = await this.db.query<{ value: AuthSettings }>(
      'SELECT value FROM project_settings WHERE key = $1',
      [SETTINGS_KEY],
    )
    return { redirectUrls: row?.value.redirectUrls ?? [] }
  }

  async updateSettings(settings: AuthSettings): Promise<AuthSettings> {
    await this.db.query(
      `INSERT INTO project_settings (key, value, updated_at) VALUES ($1, $2::jsonb, now())
       ON CONFLICT (key) DO UPDATE SET value = $2::jsonb, updated_at = now()`,
      [SETTINGS_KEY, JSON.stringify(settings)],
    )
    return settings
  }

  /** The environment's allow-list, the admin's, and the site URL. */
  private async allowList(): Promise<RedirectAllowList> {
    const { redirectUrls } = await this.settings()
    const site = this.options.siteUrl ? [this.options.siteUrl] : []
    return new RedirectAllowList([...this.options.redirectUrls, ...redirectUrls, ...site])
  }

  // ---- the flow ----

  /**
   * Starts a sign-in with `providerName`. `requestOrigin` is this request's `scheme://host`, used for
   * the callback URL when AUTH_EXTERNAL_URL is unset; `browserBinding` is the caller's existing
   * binding cookie, if any (kept, so that two tabs signing in at once both finish).
   */
  async start(input: {
    provider: string
    redirectTo?: string
    requestOrigin: string
    browserBinding?: string
  }): Promise<StartedSignIn> {
    const redirectTo = input.redirectTo ?? this.options.siteUrl
    if (!redirectTo) {
      throw new StratusError('request/invalid', 'redirect_to is required (no AUTH_SITE_URL is set)', {
        details: { location: 'querystring', field: 'redirect_to' },
      })
    }
    if (!(await this.allowList()).allows(redirectTo)) {
      throw new StratusError(
        'auth/redirect-not-allowed',
        'redirect_to is not in the allow-list (AUTH_REDIRECT_URLS or PUT /admin/v1/auth/settings)',
        { details: { redirect_to: redirectTo } },
      )
    }
    const provider = await this.providers.load(input.provider)
    if (!provider) throw providerNotFound(input.provider)

    const callbackUrl = `${(this.options.externalUrl ?? input.requestOrigin).replace(/\/+$/, '')}${CALLBACK_PATH}`
    const browserBinding =
      input.browserBinding && /^[A-Za-z0-9_-]{43}$/.test(input.browserBinding)
        ? input.browserBinding
        : newSecret(32)
    let config: client.Configuration
    try {
      config = await this.clients.configuration(provider)
    } catch (error) {
      this.options.logger.warn({ err: error, provider: provider.name }, 'OAuth provider discovery failed')
      return {
        location: withFragment(redirectTo, {
          error: 'temporarily_unavailable',
          error_description: `The sign-in provider ${provider.name} cannot be reached`,
        }),
        browserBinding,
        callbackUrl,
      }
    }
    const state = client.randomState()
    const nonce = provider.type === 'oidc' ? client.randomNonce() : null
    const codeVerifier = client.randomPKCECodeVerifier()

    // Expired flows are removed as new ones start (indexed by expires_at; a handful of rows at most).
    await this.db.query(
      `WITH gone AS (DELETE FROM auth_oauth_states WHERE expires_at < now() - interval '1 hour')
       INSERT INTO auth_oauth_states
         (state_hash, provider, redirect_to, callback_url, code_verifier, nonce, browser_hash, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8))`,
      [
        hashToken(state),
        provider.name,
        redirectTo,
        callbackUrl,
        codeVerifier,
        nonce,
        hashToken(browserBinding),
        FLOW_TTL_SECONDS,
      ],
    )
    const parameters: Record<string, string> = {
      redirect_uri: callbackUrl,
      scope: provider.scopes.join(' '),
      state,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    }
    if (nonce) parameters.nonce = nonce
    return { location: client.buildAuthorizationUrl(config, parameters).href, browserBinding, callbackUrl }
  }

  /**
   * Finishes a sign-in at the callback with the provider's query parameters. Returns where to send
   * the browser. When the flow cannot be found (no state, unknown, already used, tampered with) there
   * is no trusted `redirect_to`: the error goes to AUTH_SITE_URL if it is set, else this throws
   * `auth/invalid-state`.
   */
  async finish(input: { query: Record<string, string>; browserBinding?: string }): Promise<string> {
    const state = input.query.state
    // Spending the flow first makes it single use: a replayed callback URL finds nothing.
    const [flow] = state
      ? await this.db.query<StateRow>(
          `DELETE FROM auth_oauth_states WHERE state_hash = $1
           RETURNING provider, redirect_to, callback_url, code_verifier, nonce, browser_hash,
             expires_at <= now() AS expired`,
          [hashToken(state)],
        )
      : []
    if (!flow || !state) {
      const error = invalidState()
      if (!this.options.siteUrl) throw error
      return withFragment(this.options.siteUrl, {
        error: 'invalid_request',
        error_description: error.message,
      })
    }
    const fail = (failure: OAuthFailure) =>
      withFragment(flow.redirect_to, {
        error: failure.error,
        error_description: failure.message.slice(0, MAX_ERROR_LENGTH),
      })
    try {
      return await this.complete(flow, state, input)
    } catch (error) {
      if (error instanceof OAuthFailure) {
        this.options.logger.info(
          { provider: flow.provider, error: error.error, reason: error.message },
          'OAuth sign-in refused',
        )
        return fail(error)
      }
      const failure = describe(error)
      this.options.logger.warn({ err: error, provider: flow.provider }, 'OAuth sign-in failed')
      return fail(failure)
    }
  }

  private async complete(
    flow: StateRow,
    state: string,
    input: { query: Record<string, string>; browserBinding?: string },
  ): Promise<string> {
    if (flow.expired) throw new OAuthFailure('invalid_request', 'The sign-in took too long: start again')
    if (!input.browserBinding || hashToken(input.browserBinding) !== flow.browser_hash) {
      // Login CSRF: someone else's callback URL opened in this browser would sign it into their account.
      throw new OAuthFailure('invalid_request', 'This sign-in was started in another browser: start again')
    }
    if (input.query.error) {
      throw new OAuthFailure(
        /^[a-z_]{1,64}$/.test(input.query.error) ? input.query.error : 'server_error',
        input.query.error_description || `The provider refused the sign-in (${input.query.error})`,
      )
    }
    const provider = await this.providers.load(flow.provider)
    if (!provider) throw new OAuthFailure('invalid_request', `The provider ${flow.provider} was removed`)
    const config = await this.clients.configuration(provider)
    const currentUrl = new URL(flow.callback_url)
    for (const [key, value] of Object.entries(input.query)) currentUrl.searchParams.set(key, value)
    const tokens = await client.authorizationCodeGrant(config, currentUrl, {
      pkceCodeVerifier: flow.code_verifier,
      expectedState: state,
      expectedNonce: flow.nonce ?? undefined,
      idTokenExpected: provider.type === 'oidc',
    })
    const profile = await this.clients.profile(provider, config, tokens)
    const { row, session } = await this.identities.signIn(provider.name, profile)
    this.options.onUserChanged(row.id)
    return withFragment(flow.redirect_to, {
      access_token: session.access_token,
      refresh_token: session.refresh_token,
      expires_in: session.expires_in,
      expires_at: session.expires_at,
      token_type: 'bearer',
    })
  }
}

/** An error from openid-client (or the network) as the OAuth error the app receives. */
function describe(error: unknown): OAuthFailure {
  if (error instanceof client.ResponseBodyError || error instanceof client.AuthorizationResponseError) {
    // The provider's own answer (invalid_grant for a spent or foreign code, access_denied, …).
    return new OAuthFailure(
      /^[a-z_]{1,64}$/.test(error.error) ? error.error : 'server_error',
      error.error_description ?? `The provider answered ${error.error}`,
      { cause: error },
    )
  }
  if (error instanceof client.ClientError) {
    // openid-client refused what the provider sent: ID token (signature, issuer, audience, expiry,
    // nonce), state, issuer of the response…
    // openid-client's message is generic ("unexpected JWT claim value encountered"); its cause names
    // the check (`unexpected JWT "nonce" (nonce) claim value`).
    const detail = error.cause instanceof Error ? error.cause.message : error.message
    return new OAuthFailure('invalid_request', `The provider's response failed verification: ${detail}`, {
      cause: error,
    })
  }
  if (error instanceof StratusError && error.status < 500) {
    return new OAuthFailure('access_denied', error.message, { cause: error })
  }
  return new OAuthFailure('server_error', 'The sign-in could not be completed; try again', { cause: error })
}
