import { mkdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, expect } from 'vitest'
import { CHROMIUM, CHROMIUM_ARGS, HAS_CHROMIUM, RUN_BROWSER, warnIfNoBrowser } from '../support/browser.ts'
import { type Lane, startTestPlatform, type TestPlatform } from '../support/platform.ts'

// The console end to end: the built console, served by a real platform on a lane, driven in Debian's
// Chromium through playwright-core. Every page visit can be screenshotted (look at them: a test that
// passes on a blank page is a defect) and checked with axe-core.

export { RUN_BROWSER }

warnIfNoBrowser('console end-to-end tests')

export type AdminRole = 'owner' | 'developer' | 'viewer'
export const PASSWORD = 'console-test-password'
const ROOT = path.resolve(import.meta.dirname, '../..')
/** Screenshots land here, per lane; the first suite to take one prints the folder. */
export const SHOTS_ROOT = path.join(ROOT, 'test-results', 'console')
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

let announced = false

/** What a console suite works with: the platform, a browser, and helpers. */
export interface ConsoleHarness {
  t: TestPlatform
  browser: Browser
  /** The email of the admin of `role` (created on first use, password PASSWORD). */
  adminEmail(role: AdminRole): Promise<string>
  /** A fresh browser context signed in as an admin of `role` (through the API: sets the cookies), at `path`. */
  open(role: AdminRole, route?: string): Promise<Page>
  /** A fresh, signed-out page at `route`. */
  openSignedOut(route?: string): Promise<Page>
  /** Saves a full-page screenshot as `<name>.png` and returns its path. */
  screenshot(page: Page, name: string): Promise<string>
  /** Fails when the page has any serious or critical axe-core violation. */
  expectAccessible(page: Page, name: string): Promise<void>
  /** An admin API call with the service key; fails on anything but 2xx. */
  service<T = unknown>(method: string, route: string, body?: unknown): Promise<T>
}

/** Errors a page must never log: script errors, CSP violations. Failed requests (a 404 asked for) are fine. */
function watchErrors(page: Page, errors: string[]): void {
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() !== 'error') return
    const text = message.text()
    if (text.startsWith('Failed to load resource')) return
    errors.push(`console.error: ${text}`)
  })
}

/**
 * Registers beforeAll/afterAll that start a platform on `lane` and a browser, and returns a getter for
 * the harness (valid inside tests). Every page opened through it is checked for script errors at the end.
 */
export function useConsole(lane: Lane, env: Record<string, string> = {}): () => ConsoleHarness {
  let harness: ConsoleHarness | undefined
  let platform: TestPlatform | undefined
  let browser: Browser | undefined
  const errors: string[] = []
  const emails = new Map<AdminRole, string>()

  beforeAll(async () => {
    if (!RUN_BROWSER) return
    if (!HAS_CHROMIUM)
      throw new Error(`REQUIRE_BROWSER=1 but ${CHROMIUM} is missing: apt-get install -y chromium`)
    platform = await startTestPlatform(lane, env)
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
    const t = platform
    const b = browser
    const shots = path.join(SHOTS_ROOT, lane)
    mkdirSync(shots, { recursive: true })

    const service = async <T>(method: string, route: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${t.url}${route}`, {
        method,
        headers: {
          authorization: `Bearer ${t.serviceKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? null : JSON.stringify(body),
      })
      const text = await res.text()
      if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`)
      return (text ? JSON.parse(text) : undefined) as T
    }

    const adminEmail = async (role: AdminRole): Promise<string> => {
      const known = emails.get(role)
      if (known) return known
      const email = `${role}@console.test`
      await service('POST', '/admin/v1/admins', { email, password: PASSWORD, role })
      emails.set(role, email)
      return email
    }

    const newPage = async (): Promise<Page> => {
      const context = await b.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: 'light' })
      const page = await context.newPage()
      watchErrors(page, errors)
      return page
    }

    harness = {
      t,
      browser: b,
      adminEmail,
      service,
      openSignedOut: async (route = '/console/') => {
        const page = await newPage()
        await page.goto(`${t.url}${route}`)
        return page
      },
      open: async (role, route = '/console/') => {
        const email = await adminEmail(role)
        const page = await newPage()
        // Sign in through the API from the page's origin: the server sets the session and CSRF cookies.
        const signIn = await page.context().request.post(`${t.url}/admin/v1/session`, {
          data: { email, password: PASSWORD },
        })
        expect(signIn.status(), await signIn.text()).toBe(200)
        await page.goto(`${t.url}${route}`)
        return page
      },
      screenshot: async (page, name) => {
        const file = path.join(shots, `${name}.png`)
        await page.screenshot({ path: file, fullPage: true })
        if (!announced) {
          announced = true
          console.info(`console screenshots: ${SHOTS_ROOT}`)
        }
        return file
      },
      expectAccessible: async (page, name) => {
        // evaluate() runs outside the page's CSP, which (rightly) refuses injected scripts.
        await page.evaluate(AXE_SOURCE)
        const violations = await page.evaluate(async () => {
          const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } })
            .axe
          const result = await axe.run()
          return result.violations
            .filter((v) => v.impact === 'serious' || v.impact === 'critical')
            .map(
              (v) =>
                `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
            )
        })
        expect(violations, `axe violations on ${name}`).toEqual([])
      },
    }
  })

  afterAll(async () => {
    await browser?.close()
    await platform?.close()
    expect(errors, 'script errors or CSP violations in console pages').toEqual([])
  })

  return () => {
    if (!harness) throw new Error('the console harness is used outside a test, or without a browser')
    return harness
  }
}

interface AxeViolation {
  id: string
  impact: string | null
  help: string
  nodes: { target: string[] }[]
}
