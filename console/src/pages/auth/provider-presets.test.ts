import { describe, expect, it } from 'vitest'
import type { Provider } from '../../api/auth.ts'
import {
  formForPreset,
  formForProvider,
  formProblems,
  issuerFor,
  PRESETS,
  presetById,
  presetOf,
  providerInput,
} from './provider-presets.ts'

const filled = <T extends object>(form: T, change: Partial<T>): T => ({ ...form, ...change })

describe('provider presets', () => {
  it('fills the issuer for OIDC providers and the three URLs for OAuth 2.0 ones', () => {
    expect(formForPreset('google')).toMatchObject({
      name: 'google',
      type: 'oidc',
      issuer: 'https://accounts.google.com',
      authorizationUrl: '',
      scopes: 'openid email profile',
    })
    expect(formForPreset('github')).toMatchObject({
      name: 'github',
      type: 'oauth2',
      issuer: '',
      authorizationUrl: 'https://github.com/login/oauth/authorize',
      tokenUrl: 'https://github.com/login/oauth/access_token',
      userinfoUrl: 'https://api.github.com/user',
      scopes: 'read:user user:email',
    })
    expect(formForPreset('gitlab')).toMatchObject({ type: 'oidc', issuer: 'https://gitlab.com' })
    expect(formForPreset('oidc')).toMatchObject({ name: '', type: 'oidc', issuer: '' })
    expect(formForPreset('oauth2')).toMatchObject({ name: '', type: 'oauth2', scopes: '' })
  })

  it('every preset gives a form with no secret and an https URL where it has one', () => {
    for (const preset of PRESETS) {
      const form = formForPreset(preset.id)
      expect(form.clientSecret).toBe('')
      for (const url of [form.issuer, form.authorizationUrl, form.tokenUrl, form.userinfoUrl].filter(Boolean))
        expect(url.startsWith('https://')).toBe(true)
    }
  })

  it('names Microsoft’s directory in its issuer, and will not save without it', () => {
    const microsoft = presetById('microsoft')
    expect(issuerFor(microsoft, 'contoso.onmicrosoft.com')).toBe(
      'https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0',
    )
    const form = filled(formForPreset('microsoft'), { clientId: 'id', clientSecret: 's' })
    expect(formProblems(form)).toHaveProperty('tenant')
    expect(formProblems(form)).toHaveProperty('issuer')
    const ready = filled(form, { tenant: 'abc-123', issuer: issuerFor(microsoft, 'abc-123') })
    expect(formProblems(ready)).toEqual({})
    expect(providerInput(ready)).toEqual({
      type: 'oidc',
      issuer: 'https://login.microsoftonline.com/abc-123/v2.0',
      clientId: 'id',
      clientSecret: 's',
      scopes: ['openid', 'email', 'profile'],
    })
  })

  it('sends the server’s preset name for GitHub and Google, and only the fields of the protocol', () => {
    const github = providerInput(filled(formForPreset('github'), { clientId: ' cid ', clientSecret: 'sec' }))
    expect(github).toEqual({
      type: 'oauth2',
      preset: 'github',
      authorizationUrl: 'https://github.com/login/oauth/authorize',
      tokenUrl: 'https://github.com/login/oauth/access_token',
      userinfoUrl: 'https://api.github.com/user',
      clientId: 'cid',
      clientSecret: 'sec',
      scopes: ['read:user', 'user:email'],
    })
    const google = providerInput(filled(formForPreset('google'), { clientId: 'g', clientSecret: 's' }))
    expect(google).toMatchObject({ type: 'oidc', preset: 'google', issuer: 'https://accounts.google.com' })
    expect(google).not.toHaveProperty('authorizationUrl')
    const gitlab = providerInput(filled(formForPreset('gitlab'), { clientId: 'g', clientSecret: 's' }))
    expect(gitlab).not.toHaveProperty('preset')
  })

  it('asks for what is missing: a name, the URLs of a custom OAuth 2.0 provider, the secret', () => {
    const problems = formProblems(formForPreset('oauth2'))
    expect(Object.keys(problems).sort()).toEqual(
      ['authorizationUrl', 'clientId', 'clientSecret', 'name', 'tokenUrl', 'userinfoUrl'].sort(),
    )
    expect(
      formProblems(filled(formForPreset('google'), { name: 'Bad Name', clientId: 'x', clientSecret: 'y' })),
    ).toHaveProperty('name')
  })

  it('edits an existing provider as its preset, with the secret to type again', () => {
    const provider: Provider = {
      name: 'entra',
      type: 'oidc',
      preset: null,
      issuer: 'https://login.microsoftonline.com/t-1/v2.0',
      authorizationUrl: null,
      tokenUrl: null,
      userinfoUrl: null,
      clientId: 'client',
      scopes: ['openid', 'email'],
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    }
    expect(presetOf(provider)).toBe('microsoft')
    const form = formForProvider(provider)
    expect(form).toMatchObject({
      preset: 'microsoft',
      name: 'entra',
      tenant: 't-1',
      clientSecret: '',
      scopes: 'openid email',
    })
    expect(formProblems(form)).toEqual({ clientSecret: 'Type the client secret (it is never shown again)' })
    expect(presetOf({ ...provider, preset: 'github', type: 'oauth2' })).toBe('github')
    expect(presetOf({ ...provider, issuer: 'https://gitlab.com' })).toBe('gitlab')
    expect(presetOf({ ...provider, issuer: 'https://id.example.com' })).toBe('oidc')
  })
})
