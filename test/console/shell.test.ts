import { describe, expect, it } from 'vitest'
import { LANES } from '../support/platform.ts'
import { PASSWORD, RUN_BROWSER, useConsole } from './harness.ts'

const NAV = ['Overview', 'Auth', 'Data', 'Storage', 'Functions', 'Queues', 'Schedules', 'Events', 'Settings']

describe.each(LANES)('console shell (%s lane)', (lane) => {
  // Rollups written every half second, so the Overview's charts have this minute's requests to show.
  const h = useConsole(lane, { METRICS_FLUSH_MS: '500' })

  it.skipIf(!RUN_BROWSER)(
    'signs in with email and password, and names every section in the navigation',
    async () => {
      const { openSignedOut, adminEmail, screenshot, expectAccessible } = h()
      const email = await adminEmail('owner')
      const page = await openSignedOut('/console/')
      await page.getByLabel('Email').fill(email)
      await page.getByLabel('Password').fill('not-the-password')
      await page.getByRole('button', { name: 'Sign in' }).click()
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('auth/invalid-credentials')
      await screenshot(page, `${lane}-sign-in-refused`)
      await expectAccessible(page, 'sign-in')

      await page.getByLabel('Password').fill(PASSWORD)
      await page.getByRole('button', { name: 'Sign in' }).click()
      const nav = page.getByRole('navigation', { name: 'Console' })
      for (const name of NAV) await nav.getByRole('link', { name, exact: true }).waitFor()
      await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor()
      await page.getByRole('heading', { name: 'Nodes' }).waitFor()
      await page.getByText('Requests per second by service').waitFor()
      await expect.poll(() => page.getByText(email).count()).toBeGreaterThan(0)
      await screenshot(page, `${lane}-overview`)
      await expectAccessible(page, 'overview')
      await page.close()
    },
  )

  it.skipIf(!RUN_BROWSER)(
    'keeps deep links through sign-in, switches theme, and signs out',
    { timeout: 90_000 },
    async () => {
      const { open, screenshot, expectAccessible } = h()
      const page = await open('viewer', '/console/settings')
      await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor()
      await expect.poll(() => page.getByText('viewer', { exact: true }).count()).toBeGreaterThan(0)
      await page.getByRole('button', { name: 'Switch to dark theme' }).click()
      await expect.poll(() => page.locator('html').getAttribute('data-theme')).toBe('dark')
      await page.goto(page.url().replace('/console/settings', '/console/'))
      await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor()
      await page.getByText('Requests per second by service').waitFor()
      await screenshot(page, `${lane}-overview-dark`)
      await expectAccessible(page, 'overview (dark)')
      await page.goto(page.url().replace(/\/console\/.*$/, '/console/no/such/page'))
      await screenshot(page, `${lane}-not-found`)
      await page.getByRole('heading', { name: 'Page not found' }).waitFor({ timeout: 5000 })
      await page.getByRole('button', { name: 'Sign out' }).click()
      await page.getByRole('button', { name: 'Sign in' }).waitFor()
      // The session is gone on the server too: the cookie no longer opens the admin API.
      const whoami = await page
        .context()
        .request.get(page.url().replace(/\/console\/.*$/, '/admin/v1/session'))
      expect(whoami.status()).toBe(401)
      await page.close()
    },
  )
})
