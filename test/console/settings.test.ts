import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { totpCode } from '../../services/auth/mfa/totp.ts'
import { LANES } from '../support/platform.ts'
import { PASSWORD, RUN_BROWSER, useConsole } from './harness.ts'

describe.each(LANES)('console settings (%s lane)', (lane) => {
  // Provider client secrets and TOTP secrets are encrypted: with a shared database the key must be given.
  const h = useConsole(
    lane,
    lane === 'real' ? { AUTH_ENCRYPTION_KEY: randomBytes(32).toString('base64') } : {},
  )

  it.skipIf(!RUN_BROWSER)(
    'adds a developer, changes its role, and shows both changes in the audit log with before and after',
    { timeout: 150_000 },
    async () => {
      const { open, screenshot, expectAccessible, service } = h()
      const page = await open('owner', '/console/settings')
      await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor()
      await page.getByRole('cell', { name: /^owner@console\.test/ }).waitFor()
      await screenshot(page, `${lane}-settings-admins`)
      await expectAccessible(page, 'admins')

      const form = page.getByRole('form', { name: 'Add an admin' })
      await form.getByLabel('Email').fill('dev2@console.test')
      await form.getByLabel('Password').fill(PASSWORD)
      await form.getByLabel('Role').selectOption('developer')
      await form.getByRole('button', { name: 'Add admin' }).click()
      await page.getByText('Added dev2@console.test as developer: they can sign in now.').waitFor()
      const role = page.getByLabel('Role of dev2@console.test')
      expect(await role.inputValue()).toBe('developer')
      const { admins } = await service<{ admins: { email: string; role: string }[] }>(
        'GET',
        '/admin/v1/admins',
      )
      expect(admins.find((admin) => admin.email === 'dev2@console.test')?.role).toBe('developer')

      // A new role ends their sessions: the console asks first.
      await role.selectOption('viewer')
      const dialog = page.getByRole('dialog', { name: 'Make dev2@console.test viewer?' })
      await dialog.waitFor()
      await screenshot(page, `${lane}-settings-role-confirm`)
      await dialog.getByRole('button', { name: 'Change role' }).click()
      await page.getByText('dev2@console.test is now viewer; their sessions ended.').waitFor()
      await screenshot(page, `${lane}-settings-admin-added`)
      await expectAccessible(page, 'admins (changed)')

      // The audit log: newest first, each entry opens to a field diff.
      await page.getByRole('tab', { name: 'Audit log' }).click()
      const patchRow = page.getByRole('row').filter({ hasText: 'PATCH /admin/v1/admins/:id' }).first()
      await patchRow.waitFor()
      expect(await patchRow.textContent()).toContain('owner@console.test')
      await patchRow.getByRole('button', { name: /^Show changes/ }).click()
      const patchDiff = page.locator('.audit-detail').first()
      const roleRow = patchDiff
        .getByRole('row')
        .filter({ has: page.getByRole('rowheader', { name: /^.?role/ }) })
      expect(await roleRow.getByRole('cell').allTextContents()).toEqual(['"developer"', '"viewer"'])
      expect(await roleRow.getAttribute('data-kind')).toBe('changed')
      await screenshot(page, `${lane}-settings-audit-patch`)
      await expectAccessible(page, 'audit (patch open)')
      await patchRow.getByRole('button', { name: /^Hide changes/ }).click()

      const postRow = page.getByRole('row').filter({ hasText: 'POST /admin/v1/admins' }).first()
      await postRow.getByRole('button', { name: /^Show changes/ }).click()
      const postDiff = page.locator('.audit-detail').first()
      const cells = async (field: string) =>
        postDiff
          .getByRole('row')
          .filter({ has: page.getByRole('rowheader', { name: new RegExp(`^.?${field} \\(`) }) })
          .getByRole('cell')
          .allTextContents()
      expect(await cells('email')).toEqual(['', '"dev2@console.test"'])
      expect(await cells('password')).toEqual(['', '"[redacted]"'])
      expect(await cells('role')).toEqual(['', '"developer"'])
      await postDiff.getByRole('button', { name: 'Raw JSON' }).click()
      await postDiff.getByRole('region', { name: 'After (request body)' }).getByText('"[redacted]"').waitFor()
      await screenshot(page, `${lane}-settings-audit-post`)
      await expectAccessible(page, 'audit (post open, raw)')
      await page.close()
    },
  )

  it.skipIf(!RUN_BROWSER)(
    'turns the owner’s TOTP on and off, reveals and copies the service key, rotates the signing key',
    { timeout: 150_000 },
    async () => {
      const { open, screenshot, expectAccessible, t } = h()
      const page = await open('owner', '/console/settings?tab=security')
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.url })
      await page.getByRole('button', { name: 'Turn on TOTP' }).click()
      const secret = (await page.getByTestId('totp-secret').textContent())!.replace(/\s/g, '')
      expect(secret).toMatch(/^[A-Z2-7]+=*$/)
      expect(await page.getByTestId('totp-uri').textContent()).toMatch(/^otpauth:\/\/totp\//)
      await screenshot(page, `${lane}-settings-totp-enrol`)
      await expectAccessible(page, 'totp enrolment')
      await page.getByLabel('Code from the app').fill(totpCode(secret))
      await page.getByRole('button', { name: 'Verify and turn on' }).click()
      await page.getByText('TOTP is on: signing in now asks for a code from your authenticator.').waitFor()
      // The server agrees: a sign-in without a code is refused.
      const email = await h().adminEmail('owner')
      const noCode = await fetch(`${t.url}/admin/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: PASSWORD }),
      })
      expect(noCode.status).toBe(401)
      expect(((await noCode.json()) as { error: { code: string } }).error.code).toBe('auth/mfa-required')
      await screenshot(page, `${lane}-settings-totp-on`)
      await page.getByRole('button', { name: 'Turn off TOTP' }).click()
      await page
        .getByRole('dialog', { name: 'Turn off TOTP?' })
        .getByRole('button', { name: 'Turn off' })
        .click()
      await page.getByText('TOTP is off.').waitFor()
      await page.getByRole('button', { name: 'Turn on TOTP' }).waitFor()

      // The service key stays hidden until asked for.
      await page.getByRole('tab', { name: 'Keys', exact: true }).click()
      await page.getByRole('button', { name: 'Reveal service key' }).waitFor()
      expect(await page.content()).not.toContain(t.serviceKey)
      await screenshot(page, `${lane}-settings-keys-hidden`)
      await page.getByRole('button', { name: 'Reveal service key' }).click()
      const key = page.getByLabel('Service key (a JWT with role "service")')
      await expect.poll(() => key.inputValue()).toBe(t.serviceKey)
      await page.getByRole('button', { name: 'Copy service key' }).click()
      await page.getByText('Copied', { exact: true }).waitFor()
      const copied = await page.evaluate(() =>
        (
          globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }
        ).navigator.clipboard.readText(),
      )
      expect(copied).toBe(t.serviceKey)
      await screenshot(page, `${lane}-settings-keys-revealed`)
      await expectAccessible(page, 'keys (revealed)')
      await page.getByRole('button', { name: 'Hide' }).click()
      await page.getByRole('button', { name: 'Reveal service key' }).waitFor()

      const jwks = async () =>
        (
          (await (await fetch(`${t.url}/auth/v1/.well-known/jwks.json`)).json()) as {
            keys: { kid: string }[]
          }
        ).keys
      const before = (await jwks()).map((k) => k.kid)
      await page.getByRole('button', { name: 'Rotate signing key' }).click()
      await page
        .getByRole('dialog', { name: 'Rotate the signing key?' })
        .getByRole('button', { name: 'Rotate' })
        .click()
      const notice = page.getByText(/^New signing key .* signs from now on/)
      await notice.waitFor()
      const kid = await notice.locator('code').textContent()
      const after = (await jwks()).map((k) => k.kid)
      expect(after).toContain(kid)
      for (const old of before) expect(after).toContain(old)
      // Tokens signed before still verify: the old service key still opens the admin API.
      expect(
        (await h().service<{ entries: unknown[] }>('GET', '/admin/v1/audit?limit=1')).entries,
      ).toHaveLength(1)
      await screenshot(page, `${lane}-settings-keys-rotated`)
      await expectAccessible(page, 'keys (rotated)')
      await page.getByRole('button', { name: 'Switch to dark theme' }).click()
      await page.getByRole('tab', { name: 'Audit log' }).click()
      await page.getByRole('row').filter({ hasText: 'POST /admin/v1/keys/rotate' }).first().waitFor()
      await page
        .getByRole('row')
        .filter({ hasText: 'POST /admin/v1/keys/rotate' })
        .first()
        .getByRole('button')
        .click()
      await screenshot(page, `${lane}-settings-audit-dark`)
      await expectAccessible(page, 'audit (dark)')
      await page.close()
    },
  )

  it.skipIf(!RUN_BROWSER)(
    'tells developers and viewers that admins and keys are for owners, as the server does',
    { timeout: 90_000 },
    async () => {
      const { open, screenshot, expectAccessible, t } = h()
      for (const role of ['developer', 'viewer'] as const) {
        const page = await open(role, '/console/settings')
        await page
          .getByText(
            `Owners only: admin accounts and roles are managed by owners. You are signed in as a ${role}.`,
          )
          .waitFor()
        expect(await page.getByRole('button', { name: 'Add admin' }).count()).toBe(0)
        const admins = await page.context().request.get(`${t.url}/admin/v1/admins`)
        expect(admins.status()).toBe(403)
        await page.getByRole('tab', { name: 'Keys', exact: true }).click()
        await page.getByText('Owners only: the service key and signing keys are managed by owners.').waitFor()
        expect(await page.getByRole('button', { name: 'Reveal service key' }).count()).toBe(0)
        expect((await page.context().request.get(`${t.url}/admin/v1/keys`)).status()).toBe(403)
        await screenshot(page, `${lane}-settings-keys-${role}`)
        await expectAccessible(page, `keys (${role})`)
        await page.getByRole('tab', { name: 'API keys' }).click()
        await page.getByText('Owners only: API keys are managed by owners.').waitFor()
        expect(await page.getByRole('button', { name: 'Create API key' }).count()).toBe(0)
        expect((await page.context().request.get(`${t.url}/admin/v1/api-keys`)).status()).toBe(403)
        // Everyone reads the audit log and manages their own TOTP.
        await page.getByRole('tab', { name: 'Audit log' }).click()
        await page.getByRole('row').filter({ hasText: 'POST /admin/v1/session' }).first().waitFor()
        await page.getByRole('tab', { name: 'Your account' }).click()
        await page.getByRole('button', { name: 'Turn on TOTP' }).waitFor()
        await screenshot(page, `${lane}-settings-account-${role}`)
        await page.close()
      }
    },
  )

  // Last: it replaces the service key the suite's other tests use.
  it.skipIf(!RUN_BROWSER)(
    'creates an API key shown once and copies it, the key works within its scope, revokes it; rotates the service key',
    { timeout: 150_000 },
    async () => {
      const { open, screenshot, expectAccessible, t } = h()
      const page = await open('owner', '/console/settings?tab=api-keys')
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.url })
      await page.getByText('No API keys yet.').waitFor()
      const form = page.getByRole('form', { name: 'Create an API key' })
      await form.getByLabel('Name').fill('ci reader')
      await form.getByRole('checkbox', { name: 'db:read' }).check()
      await form.getByLabel('Expires').selectOption({ label: 'In 7 days' })
      await screenshot(page, `${lane}-settings-api-key-form`)
      await expectAccessible(page, 'api keys (form)')
      await form.getByRole('button', { name: 'Create API key' }).click()

      // Shown once, with a copy button.
      const shown = page.getByLabel('API key (shown once)')
      await shown.waitFor()
      const key = await shown.inputValue()
      expect(key).toMatch(/^sk_[0-9a-f]{24}_[\w-]{43}$/)
      await page.getByRole('button', { name: 'Copy API key' }).click()
      await page.getByText('Copied', { exact: true }).waitFor()
      const copied = await page.evaluate(() =>
        (
          globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }
        ).navigator.clipboard.readText(),
      )
      expect(copied).toBe(key)
      await screenshot(page, `${lane}-settings-api-key-shown`)
      await expectAccessible(page, 'api keys (new key shown)')
      const call = (method: string, route: string, token: string) =>
        fetch(`${t.url}${route}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          ...(method === 'GET' ? {} : { body: JSON.stringify({ data: {} }) }),
        })
      expect((await call('GET', '/db/v1/collections/notes/documents', key)).status).toBe(200)
      expect((await call('POST', '/db/v1/collections/notes/documents', key)).status).toBe(403)
      await page.getByRole('button', { name: 'Done' }).click()
      await page.getByRole('form', { name: 'Create an API key' }).waitFor()
      expect(await page.content()).not.toContain(key)

      const row = page.getByRole('row', { name: /^ci reader / })
      await row.getByText('active').waitFor()
      await row.getByRole('button', { name: 'Revoke API key ci reader' }).click()
      const dialog = page.getByRole('dialog', { name: 'Revoke API key ci reader?' })
      await dialog.waitFor()
      await screenshot(page, `${lane}-settings-api-key-revoke`)
      await dialog.getByRole('button', { name: 'Revoke key' }).click()
      await page.getByText('Revoked API key ci reader.').waitFor()
      await row.getByText('revoked').waitFor()
      expect((await call('GET', '/db/v1/collections/notes/documents', key)).status).toBe(401)
      await screenshot(page, `${lane}-settings-api-key-revoked`)
      await expectAccessible(page, 'api keys (revoked)')

      // The service key: rotating it revokes the old one at once.
      const old = t.serviceKey
      await page.getByRole('tab', { name: 'Keys', exact: true }).click()
      await page.getByRole('button', { name: 'Rotate service key' }).click()
      await page
        .getByRole('dialog', { name: 'Rotate the service key?' })
        .getByRole('button', { name: 'Rotate service key' })
        .click()
      await page.getByText(/^The service key was replaced; the old one no longer works/).waitFor()
      expect((await call('GET', '/admin/v1/audit?limit=1', old)).status).toBe(401)
      await page.getByRole('button', { name: 'Reveal service key' }).click()
      const revealed = page.getByLabel('Service key (a JWT with role "service")')
      await expect.poll(() => revealed.inputValue()).not.toBe('')
      const current = await revealed.inputValue()
      expect(current).not.toBe(old)
      expect((await call('GET', '/admin/v1/audit?limit=1', current)).status).toBe(200)
      t.serviceKey = current
      await screenshot(page, `${lane}-settings-service-key-rotated`)
      await expectAccessible(page, 'keys (service key rotated)')

      await page.getByRole('tab', { name: 'Audit log' }).click()
      for (const action of [
        'POST /admin/v1/keys/service/rotate',
        'DELETE /admin/v1/api-keys/:id',
        'POST /admin/v1/api-keys',
      ]) {
        await page.getByRole('row').filter({ hasText: action }).first().waitFor()
      }
      expect(await page.content()).not.toContain(key)
      await page.close()
    },
  )
})
