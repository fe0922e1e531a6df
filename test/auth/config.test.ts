import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../services/core/config.ts'

describe('auth configuration', () => {
  it('has defaults for every auth variable', () => {
    const config = loadConfig({})
    expect(config.auth).toMatchObject({
      accessTokenTtlSeconds: 3600,
      refreshTokenTtlSeconds: 30 * 24 * 3600,
      emailVerification: false,
      rateLimit: { windowSeconds: 300, signup: 30, signin: 30, refresh: 150, recover: 5 },
    })
    expect(config.auth.siteUrl).toBeUndefined()
    expect(config.mail).toEqual({ smtpUrl: undefined, from: 'Stratus <no-reply@localhost>' })
  })

  it('reads overrides', () => {
    const config = loadConfig({
      SMTP_URL: 'smtps://user:pass@mail.example:465',
      MAIL_FROM: 'App <hi@app.example>',
      RATE_LIMIT_SIGNIN: '0',
      AUTH_EMAIL_VERIFICATION: 'yes',
      AUTH_SITE_URL: 'https://app.example',
      REFRESH_TOKEN_TTL_SECONDS: '600',
    })
    expect(config.mail.smtpUrl).toBe('smtps://user:pass@mail.example:465')
    expect(config.auth.rateLimit.signin).toBe(0)
    expect(config.auth.emailVerification).toBe(true)
    expect(config.auth.refreshTokenTtlSeconds).toBe(600)
  })

  it.each([
    ['SMTP_URL', 'http://mail.example', /SMTP_URL must be a URL starting with smtp:\/\/ or smtps:\/\//],
    ['RATE_LIMIT_SIGNUP', '-1', /RATE_LIMIT_SIGNUP must be at least 0/],
    ['RATE_LIMIT_WINDOW_SECONDS', 'soon', /RATE_LIMIT_WINDOW_SECONDS must be an integer/],
    ['REFRESH_TOKEN_TTL_SECONDS', '5', /REFRESH_TOKEN_TTL_SECONDS must be at least 60/],
    ['AUTH_EMAIL_VERIFICATION', 'maybe', /AUTH_EMAIL_VERIFICATION must be true or false/],
    ['AUTH_SITE_URL', 'app.example', /AUTH_SITE_URL must be a URL/],
  ])('refuses a bad %s with one line naming it', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError)
    expect(() => loadConfig({ [name]: value })).toThrow(message)
  })
})
