import { describe, expect, it } from 'vitest'
import { RedirectAllowList, withFragment } from './redirect-urls.ts'

describe('redirect_to allow-list', () => {
  const cases: [entry: string, candidate: string, allowed: boolean][] = [
    // exact entries: normalised like candidates, query free
    ['https://app.example/cb', 'https://app.example/cb', true],
    ['https://app.example/cb', 'https://APP.example:443/cb?x=1', true],
    ['https://app.example/cb', 'https://app.example/cb/', false],
    ['https://app.example/cb', 'https://app.example/other/../cb', true],
    ['https://app.example/cb', 'http://app.example/cb', false],
    ['https://app.example', 'https://app.example/', true],
    ['https://app.example', 'https://app.example/x', false],
    ['https://app.example/cb', 'https://user:pw@app.example/cb', false],
    ['https://app.example/cb', 'https://app.example.evil.test/cb', false],
    // host and port wildcards stay inside one label
    ['https://*.app.example/**', 'https://pr-1.app.example/a/b', true],
    ['https://*.app.example/**', 'https://a.b.app.example/', false],
    ['https://*.app.example/**', 'https://evil.test/?.app.example/', false],
    ['https://*.app.example/**', 'https://evil.test#.app.example/', false],
    ['https://*.app.example/**', 'https://evil.test\\.app.example/', false],
    ['http://localhost:*/**', 'http://localhost:5173/auth', true],
    ['http://localhost:*/**', 'http://localhost.evil.test:5173/auth', false],
    // path wildcards
    ['https://app.example/*/cb', 'https://app.example/en/cb', true],
    ['https://app.example/*/cb', 'https://app.example/en/fr/cb', false],
    ['https://app.example/auth/**', 'https://app.example/auth/a/b/c', true],
    ['https://app.example/auth/**', 'https://app.example/authx', false],
    // custom schemes (mobile apps), exact only
    ['myapp://callback', 'myapp://callback', true],
    ['myapp://callback', 'otherapp://callback', false],
    // never a script
    ['https://app.example/cb', 'javascript:alert(1)//https://app.example/cb', false],
    ['not a url', 'not a url', false],
  ]
  it.each(cases)('%s allows %s: %s', (entry, candidate, allowed) => {
    expect(new RedirectAllowList([entry]).allows(candidate)).toBe(allowed)
  })

  it('allows nothing when empty', () => {
    expect(new RedirectAllowList([]).allows('https://app.example/')).toBe(false)
  })

  it('puts parameters in the fragment, replacing any fragment, keeping the query', () => {
    expect(withFragment('https://app.example/cb?x=1#old', { access_token: 'a b', expires_in: 3600 })).toBe(
      'https://app.example/cb?x=1#access_token=a+b&expires_in=3600',
    )
  })
})
