import { StratusError } from '../../core/errors.ts'

/** What an admin sends to PUT /admin/v1/auth/providers/{name} (API.md), plus the optional `preset`. */
export interface ProviderInput {
  type?: 'oidc' | 'oauth2'
  preset?: Preset
  issuer?: string
  authorizationUrl?: string
  tokenUrl?: string
  userinfoUrl?: string
  clientId: string
  clientSecret: string
  scopes?: string[]
}

/** A provider's settings once a preset is applied and checked. */
export interface ProviderSettings {
  type: 'oidc' | 'oauth2'
  preset: Preset | null
  issuer: string | null
  authorizationUrl: string | null
  tokenUrl: string | null
  userinfoUrl: string | null
  clientId: string
  scopes: string[]
}

export const PRESETS = ['github', 'google'] as const
export type Preset = (typeof PRESETS)[number]

/**
 * Known providers. GitHub is plain OAuth 2.0 (no ID token; `/user` gives the profile and
 * `/user/emails` says which addresses are verified); Google is OpenID Connect, discovered from its issuer.
 */
const PRESET_SETTINGS: Record<Preset, Omit<ProviderSettings, 'clientId' | 'preset'>> = {
  github: {
    type: 'oauth2',
    issuer: null,
    authorizationUrl: 'https://github.com/login/oauth/authorize',
    tokenUrl: 'https://github.com/login/oauth/access_token',
    userinfoUrl: 'https://api.github.com/user',
    scopes: ['read:user', 'user:email'],
  },
  google: {
    type: 'oidc',
    issuer: 'https://accounts.google.com',
    authorizationUrl: null,
    tokenUrl: null,
    userinfoUrl: null,
    scopes: ['openid', 'email', 'profile'],
  },
}

const invalid = (field: string, message: string) =>
  new StratusError('request/invalid', message, { details: { location: 'body', field } })

/**
 * Applies the preset (explicit fields win) and checks what each type needs: `oidc` an issuer,
 * `oauth2` its three URLs. Every URL must be https, except on a loopback host (a provider run on the
 * developer's machine, or in a test).
 */
export function resolveProvider(input: ProviderInput): ProviderSettings {
  const preset = input.preset ? PRESET_SETTINGS[input.preset] : undefined
  const type = input.type ?? preset?.type
  if (!type) throw invalid('type', 'Give the provider a type ("oidc" or "oauth2") or a preset')
  const settings: ProviderSettings = {
    type,
    preset: input.preset ?? null,
    issuer: input.issuer ?? preset?.issuer ?? null,
    authorizationUrl: input.authorizationUrl ?? preset?.authorizationUrl ?? null,
    tokenUrl: input.tokenUrl ?? preset?.tokenUrl ?? null,
    userinfoUrl: input.userinfoUrl ?? preset?.userinfoUrl ?? null,
    clientId: input.clientId,
    scopes: input.scopes ?? preset?.scopes ?? (type === 'oidc' ? ['openid', 'email', 'profile'] : []),
  }
  if (type === 'oidc') {
    if (!settings.issuer) throw invalid('issuer', 'An "oidc" provider needs its issuer (discovery URL base)')
    if (!settings.scopes.includes('openid')) settings.scopes = ['openid', ...settings.scopes]
  } else {
    for (const field of ['authorizationUrl', 'tokenUrl', 'userinfoUrl'] as const) {
      if (!settings[field]) throw invalid(field, `An "oauth2" provider needs ${field}`)
    }
  }
  for (const field of ['issuer', 'authorizationUrl', 'tokenUrl', 'userinfoUrl'] as const) {
    const value = settings[field]
    if (value !== null) checkProviderUrl(field, value)
  }
  return settings
}

function checkProviderUrl(field: string, value: string): void {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw invalid(field, `${field} must be an absolute URL`)
  }
  if (url.protocol === 'https:') return
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return
  throw invalid(field, `${field} must use https (http only on a loopback host)`)
}

/** `localhost`, 127.0.0.0/8 or ::1: the only hosts a provider may be reached at without TLS. */
export function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname)
}
