import { describe, expect, it } from 'vitest'
import { REDACTED, redact } from './redact.ts'

describe('audit redaction', () => {
  it.each([
    [
      { email: 'a@b.co', password: 'hunter22!' },
      { email: 'a@b.co', password: REDACTED },
    ],
    [
      { clientId: 'id', clientSecret: 's3cret', scopes: ['openid'] },
      { clientId: 'id', clientSecret: REDACTED, scopes: ['openid'] },
    ],
    [
      { code: 'export default () => 1', env: { API_KEY: 'abc', MODE: 'prod' }, triggers: [{ type: 'http' }] },
      {
        code: 'export default () => 1',
        env: { API_KEY: REDACTED, MODE: REDACTED },
        triggers: [{ type: 'http' }],
      },
    ],
    [
      { email: 'a@b.co', password: 'x', code: '123456' },
      { email: 'a@b.co', password: REDACTED, code: REDACTED },
    ],
    [
      { refresh_token: 'r', nested: { serviceKey: 'k', ok: 1 } },
      { refresh_token: REDACTED, nested: { serviceKey: REDACTED, ok: 1 } },
    ],
    [{ versions: [{ env: { A: '1' } }] }, { versions: [{ env: { A: REDACTED } }] }],
    [
      { mfa: false, public: true },
      { mfa: false, public: true },
    ],
    ['plain', 'plain'],
    [null, null],
  ])('redacts %j', (input, expected) => {
    expect(redact(input)).toEqual(expected)
  })

  it('does not change its input', () => {
    const input = { password: 'p', env: { A: '1' } }
    redact(input)
    expect(input).toEqual({ password: 'p', env: { A: '1' } })
  })
})
