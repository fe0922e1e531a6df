import type { Provider, ProviderInput, ServerPreset } from '../../api/auth.ts'

export type PresetId = 'google' | 'github' | 'gitlab' | 'microsoft' | 'oidc' | 'oauth2'

/** A provider the console knows how to fill in; the server knows `google` and `github` by name too. */
export interface ProviderPreset {
  id: PresetId
  label: string
  type: 'oidc' | 'oauth2'
  /** Sent as `preset` so the server applies its own handling (GitHub's verified emails). */
  serverPreset?: ServerPreset
  issuer?: string
  authorizationUrl?: string
  tokenUrl?: string
  userinfoUrl?: string
  scopes: string[]
  /** Where to create the OAuth client. */
  consoleUrl?: string
  /** Microsoft's issuer names the directory (tenant); `{tenant}` is replaced. */
  needsTenant?: boolean
}

export const PRESETS: readonly ProviderPreset[] = [
  {
    id: 'google',
    label: 'Google',
    type: 'oidc',
    serverPreset: 'google',
    issuer: 'https://accounts.google.com',
    scopes: ['openid', 'email', 'profile'],
    consoleUrl: 'https://console.cloud.google.com/apis/credentials',
  },
  {
    id: 'github',
    label: 'GitHub',
    type: 'oauth2',
    serverPreset: 'github',
    authorizationUrl: 'https://github.com/login/oauth/authorize',
    tokenUrl: 'https://github.com/login/oauth/access_token',
    userinfoUrl: 'https://api.github.com/user',
    scopes: ['read:user', 'user:email'],
    consoleUrl: 'https://github.com/settings/developers',
  },
  {
    id: 'gitlab',
    label: 'GitLab',
    type: 'oidc',
    issuer: 'https://gitlab.com',
    scopes: ['openid', 'email', 'profile'],
    consoleUrl: 'https://gitlab.com/-/user_settings/applications',
  },
  {
    id: 'microsoft',
    label: 'Microsoft (Entra ID)',
    type: 'oidc',
    issuer: 'https://login.microsoftonline.com/{tenant}/v2.0',
    scopes: ['openid', 'email', 'profile'],
    consoleUrl: 'https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade',
    needsTenant: true,
  },
  { id: 'oidc', label: 'Other OpenID Connect issuer', type: 'oidc', scopes: ['openid', 'email', 'profile'] },
  { id: 'oauth2', label: 'Other OAuth 2.0 provider', type: 'oauth2', scopes: [] },
]

export function presetById(id: PresetId): ProviderPreset {
  return PRESETS.find((preset) => preset.id === id) ?? PRESETS[0]!
}

/** The provider form: every field as typed. */
export interface ProviderForm {
  preset: PresetId
  name: string
  type: 'oidc' | 'oauth2'
  tenant: string
  issuer: string
  authorizationUrl: string
  tokenUrl: string
  userinfoUrl: string
  clientId: string
  /** Write-only: never loaded from the server, required on every save. */
  clientSecret: string
  /** Space-separated. */
  scopes: string
}

/** Microsoft's issuer for a directory: a tenant id, or a verified domain. */
export function issuerFor(preset: ProviderPreset, tenant: string): string {
  return (preset.issuer ?? '').replace('{tenant}', tenant.trim() || '{tenant}')
}

/** A fresh form for a preset: its name, type, URLs or issuer and scopes filled in. */
export function formForPreset(id: PresetId): ProviderForm {
  const preset = presetById(id)
  return {
    preset: id,
    name: id === 'oidc' || id === 'oauth2' ? '' : id,
    type: preset.type,
    tenant: '',
    issuer: preset.issuer ?? '',
    authorizationUrl: preset.authorizationUrl ?? '',
    tokenUrl: preset.tokenUrl ?? '',
    userinfoUrl: preset.userinfoUrl ?? '',
    clientId: '',
    clientSecret: '',
    scopes: preset.scopes.join(' '),
  }
}

/** Which preset an existing provider looks like (the server's `preset`, else its issuer). */
export function presetOf(provider: Provider): PresetId {
  if (provider.preset) return provider.preset
  if (provider.type === 'oidc') {
    if (provider.issuer === 'https://gitlab.com') return 'gitlab'
    if (provider.issuer?.startsWith('https://login.microsoftonline.com/')) return 'microsoft'
    return 'oidc'
  }
  return 'oauth2'
}

/** The form of an existing provider, to edit it (the secret must be typed again). */
export function formForProvider(provider: Provider): ProviderForm {
  const preset = presetOf(provider)
  const tenant =
    preset === 'microsoft'
      ? (/^https:\/\/login\.microsoftonline\.com\/([^/]+)\/v2\.0$/.exec(provider.issuer ?? '')?.[1] ?? '')
      : ''
  return {
    preset,
    name: provider.name,
    type: provider.type,
    tenant,
    issuer: provider.issuer ?? '',
    authorizationUrl: provider.authorizationUrl ?? '',
    tokenUrl: provider.tokenUrl ?? '',
    userinfoUrl: provider.userinfoUrl ?? '',
    clientId: provider.clientId,
    clientSecret: '',
    scopes: provider.scopes.join(' '),
  }
}

export const PROVIDER_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/

/** What is missing or wrong in a form, field by field (empty when it can be saved). */
export function formProblems(form: ProviderForm): Partial<Record<keyof ProviderForm, string>> {
  const problems: Partial<Record<keyof ProviderForm, string>> = {}
  if (!PROVIDER_NAME.test(form.name))
    problems.name = 'Lower-case letters, digits, - and _ (apps pass it as ?provider=)'
  if (presetById(form.preset).needsTenant && !form.tenant.trim())
    problems.tenant = 'The directory (tenant) id'
  if (form.type === 'oidc') {
    if (!form.issuer.trim() || form.issuer.includes('{tenant}')) problems.issuer = 'The issuer URL'
  } else {
    for (const field of ['authorizationUrl', 'tokenUrl', 'userinfoUrl'] as const)
      if (!form[field].trim()) problems[field] = 'Needed for OAuth 2.0'
  }
  if (!form.clientId.trim()) problems.clientId = 'The client id from the provider'
  if (!form.clientSecret) problems.clientSecret = 'Type the client secret (it is never shown again)'
  return problems
}

/**
 * The PUT body of a form: the issuer for OIDC, the three URLs for OAuth 2.0, the server's preset
 * name where it has one (explicit fields win over it on the server).
 */
export function providerInput(form: ProviderForm): ProviderInput {
  const preset = presetById(form.preset)
  const scopes = form.scopes.split(/\s+/).filter(Boolean)
  const input: ProviderInput = {
    type: form.type,
    clientId: form.clientId.trim(),
    clientSecret: form.clientSecret,
    scopes,
  }
  if (preset.serverPreset) input.preset = preset.serverPreset
  if (form.type === 'oidc') {
    input.issuer = preset.needsTenant ? issuerFor(preset, form.tenant) : form.issuer.trim()
  } else {
    input.authorizationUrl = form.authorizationUrl.trim()
    input.tokenUrl = form.tokenUrl.trim()
    input.userinfoUrl = form.userinfoUrl.trim()
  }
  return input
}
