import { describe, expect, it } from 'vitest'
import { resolveProvider } from './presets.ts'

describe('provider settings', () => {
  it('expands presets; explicit fields win', () => {
    expect(resolveProvider({ preset: 'google', clientId: 'id', clientSecret: 's' })).toMatchObject({
      type: 'oidc',
      issuer: 'https://accounts.google.com',
      scopes: ['openid', 'email', 'profile'],
    })
    expect(
      resolveProvider({ preset: 'github', clientId: 'id', clientSecret: 's', scopes: ['read:user'] }),
    ).toMatchObject({
      type: 'oauth2',
      tokenUrl: 'https://github.com/login/oauth/access_token',
      scopes: ['read:user'],
    })
  })

  it('always asks an OIDC provider for openid', () => {
    const settings = resolveProvider({
      type: 'oidc',
      issuer: 'https://idp.example',
      clientId: 'c',
      clientSecret: 's',
      scopes: ['email'],
    })
    expect(settings.scopes).toEqual(['openid', 'email'])
  })

  it.each([
    [{ clientId: 'c', clientSecret: 's' }, /type/],
    [{ type: 'oidc' as const, clientId: 'c', clientSecret: 's' }, /issuer/],
    [
      {
        type: 'oauth2' as const,
        authorizationUrl: 'https://a.example',
        tokenUrl: 'https://a.example/t',
        clientId: 'c',
        clientSecret: 's',
      },
      /userinfoUrl/,
    ],
    [{ type: 'oidc' as const, issuer: 'http://idp.example', clientId: 'c', clientSecret: 's' }, /https/],
    [{ type: 'oidc' as const, issuer: 'nope', clientId: 'c', clientSecret: 's' }, /absolute URL/],
  ])('refuses %o', (input, message) => {
    expect(() => resolveProvider(input)).toThrow(message)
  })

  it('allows plain http on loopback only', () => {
    for (const issuer of ['http://127.0.0.1:9000', 'http://localhost:9000', 'http://[::1]:9000']) {
      expect(resolveProvider({ type: 'oidc', issuer, clientId: 'c', clientSecret: 's' }).issuer).toBe(issuer)
    }
  })
})
