import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestPlatform, type TestPlatform } from '../support/platform.ts'

// How the gateway serves the built console (the global setup builds it): lane-independent, so the
// embedded lane only.
describe('console serving', () => {
  let t: TestPlatform
  beforeAll(async () => {
    t = await startTestPlatform('embedded')
  })
  afterAll(async () => {
    await t?.close()
  })

  it('serves index.html at /console/ with a strict CSP and no caching', async () => {
    const res = await fetch(`${t.url}/console/`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    expect(res.headers.get('cache-control')).toBe('no-cache')
    const csp = res.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("default-src 'self'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toContain('unsafe-inline')
    expect(csp).toContain("frame-ancestors 'none'")
    const html = await res.text()
    expect(html).toContain('<div id="root">')
  })

  it("gives each page a fresh style nonce, in the CSP and in the page, for CodeMirror's <style> element", async () => {
    const nonces = []
    for (const route of ['/console/', '/console/functions/new', '/console/index.html']) {
      const res = await fetch(`${t.url}${route}`)
      const csp = res.headers.get('content-security-policy') ?? ''
      const nonce = /style-src 'self' 'nonce-([A-Za-z0-9+/=]{24})'/.exec(csp)?.[1]
      expect(nonce, route).toBeDefined()
      expect(await res.text(), route).toContain(`<meta name="csp-nonce" content="${nonce}" /></head>`)
      nonces.push(nonce)
    }
    expect(new Set(nonces).size).toBe(3)
    // Files other than the page allow no inline style at all.
    const asset = await fetch(`${t.url}/console/assets/nope-123.js`)
    expect(asset.headers.get('content-security-policy')).toContain("style-src 'self';")
    await asset.body?.cancel()
  })

  it('serves hashed assets with a year-long immutable cache', async () => {
    const html = await (await fetch(`${t.url}/console/`)).text()
    const asset = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1]
    expect(asset).toBeDefined()
    const res = await fetch(`${t.url}${asset}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/javascript/)
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(1000)
  })

  it('answers deep links with the page (the console routes them) and missing assets with 404', async () => {
    for (const route of ['/console/data/orders', '/console/functions/new', '/console/events/traces/abc']) {
      const res = await fetch(`${t.url}${route}`)
      expect(res.status, route).toBe(200)
      expect(await res.text()).toContain('<div id="root">')
    }
    const missing = await fetch(`${t.url}/console/assets/nope-123.js`)
    expect(missing.status).toBe(404)
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('request/not-found')
    const post = await fetch(`${t.url}/console/data`, { method: 'POST' })
    expect(post.status).toBe(404)
  })

  it('redirects /console and, for browsers, / to /console/', async () => {
    const bare = await fetch(`${t.url}/console`, { redirect: 'manual' })
    expect(bare.status).toBe(302)
    expect(bare.headers.get('location')).toBe('/console/')
    const browser = await fetch(`${t.url}/`, { redirect: 'manual', headers: { accept: 'text/html,*/*' } })
    expect(browser.status).toBe(302)
    expect(browser.headers.get('location')).toBe('/console/')
    const api = await fetch(`${t.url}/`, { headers: { accept: 'application/json' } })
    expect(api.status).toBe(404)
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('request/not-found')
  })

  it('refuses paths that climb out of the console folder', async () => {
    for (const route of [
      '/console/../package.json',
      '/console/%2e%2e/package.json',
      '/console/assets/%2e%2e/%2e%2e/index.html',
    ]) {
      const res = await fetch(`${t.url}${route}`)
      const text = await res.text()
      expect(text, route).not.toContain('"name": "stratus"')
    }
  })
})
