import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { LANES } from '../support/platform.ts'
import { RUN_BROWSER, useConsole } from './harness.ts'

const USER_PASSWORD = 'a long user password'

interface Signed {
  user: { id: string }
  session: { refresh_token: string }
}

describe.each(LANES)('console auth (%s lane)', (lane) => {
  // Provider client secrets and TOTP secrets are encrypted: with a shared database the key must be given.
  const h = useConsole(
    lane,
    lane === 'real' ? { AUTH_ENCRYPTION_KEY: randomBytes(32).toString('base64') } : {},
  )

  async function post(path: string, body: unknown): Promise<Response> {
    return fetch(`${h().t.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  }

  async function signUp(email: string): Promise<Signed> {
    const res = await post('/auth/v1/signup', { email, password: USER_PASSWORD })
    expect(res.status).toBe(201)
    return (await res.json()) as Signed
  }

  it.skipIf(!RUN_BROWSER)(
    'searches and filters users, revokes sessions, disables (sign-in refused) and enables, creates and deletes',
    { timeout: 180_000 },
    async () => {
      const { open, screenshot, expectAccessible } = h()
      const alice = await signUp('alice@example.com')
      await signUp('bob@example.com')
      await post('/auth/v1/anonymous', {})

      const page = await open('owner', '/console/auth')
      await page.getByRole('heading', { name: 'Auth', level: 1 }).waitFor()
      await page.getByRole('link', { name: 'alice@example.com' }).waitFor()
      await page.getByRole('link', { name: 'bob@example.com' }).waitFor()
      await page.getByRole('link', { name: 'Anonymous user' }).waitFor()
      await screenshot(page, `${lane}-auth-users`)
      await expectAccessible(page, 'users')

      // Search by a part of the email: the list narrows, and the URL keeps the search.
      await page.getByLabel('Search by email').fill('ALI')
      await expect.poll(() => page.getByRole('link', { name: 'bob@example.com' }).count()).toBe(0)
      await page.getByRole('link', { name: 'alice@example.com' }).waitFor()
      expect(new URL(page.url()).searchParams.get('email')).toBe('ALI')
      await screenshot(page, `${lane}-auth-users-search`)

      await page.getByLabel('Search by email').fill('')
      await page.getByLabel('Anonymous').selectOption('yes')
      await expect.poll(() => page.getByRole('link', { name: 'alice@example.com' }).count()).toBe(0)
      await page.getByRole('link', { name: 'Anonymous user' }).waitFor()
      await page.getByLabel('Anonymous').selectOption('')

      // Open alice: profile and her live session (from the sign-up).
      await page.getByRole('link', { name: 'alice@example.com' }).click()
      await page.getByRole('heading', { name: 'alice@example.com', level: 1 }).waitFor()
      const sessions = page.getByRole('region', { name: 'Sessions' })
      await expect.poll(() => sessions.getByRole('row').count()).toBe(2)
      await page.getByText('No factor').waitFor()
      await screenshot(page, `${lane}-auth-user`)
      await expectAccessible(page, 'user')

      // Revoke every session: her refresh token stops working.
      await page.getByRole('button', { name: 'Revoke all sessions' }).click()
      await page.getByRole('dialog', { name: 'Sign this user out everywhere?' }).waitFor()
      await expectAccessible(page, 'revoke dialog')
      await page.getByRole('button', { name: 'Revoke sessions' }).click()
      await page.getByText('1 session revoked: the user is signed out everywhere.').waitFor()
      await page.getByText('No live session.').waitFor()
      const refresh = await post('/auth/v1/token?grant_type=refresh_token', {
        refresh_token: alice.session.refresh_token,
      })
      expect(refresh.status).toBe(401)
      await screenshot(page, `${lane}-auth-user-revoked`)

      // Disable: password sign-in is refused; enable: it works again.
      await page.getByRole('button', { name: 'Disable user' }).click()
      await page
        .getByRole('dialog', { name: 'Disable this user?' })
        .getByRole('button', { name: 'Disable' })
        .click()
      await page.getByText('User disabled: their sessions ended and sign-in is refused.').waitFor()
      await page.getByRole('button', { name: 'Enable user' }).waitFor()
      const refused = await post('/auth/v1/token?grant_type=password', {
        email: 'alice@example.com',
        password: USER_PASSWORD,
      })
      expect(refused.status).toBe(403)
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('auth/user-disabled')
      await screenshot(page, `${lane}-auth-user-disabled`)
      await expectAccessible(page, 'user (disabled)')

      await page.getByRole('link', { name: 'Auth' }).first().click()
      await page.getByLabel('Status').selectOption('yes')
      await page.getByRole('link', { name: 'alice@example.com' }).waitFor()
      await expect.poll(() => page.getByRole('link', { name: 'bob@example.com' }).count()).toBe(0)
      await page.getByRole('link', { name: 'alice@example.com' }).click()
      await page.getByRole('button', { name: 'Enable user' }).click()
      await page.getByText('User enabled.').waitFor()
      const allowed = await post('/auth/v1/token?grant_type=password', {
        email: 'alice@example.com',
        password: USER_PASSWORD,
      })
      expect(allowed.status).toBe(200)

      // Create a user from the console, then delete it with a typed confirmation.
      await page.goto(page.url().replace(/\/console\/.*$/, '/console/auth'))
      await page.getByRole('button', { name: 'New user' }).click()
      await page.getByLabel('Email', { exact: true }).fill('carol@example.com')
      await page.getByLabel('Password').fill(USER_PASSWORD)
      await page.getByRole('button', { name: 'Create user' }).click()
      await page.getByRole('heading', { name: 'carol@example.com', level: 1 }).waitFor()
      await page.getByRole('button', { name: 'Delete user' }).click()
      const dialog = page.getByRole('dialog', { name: 'Delete this user?' })
      const confirm = dialog.getByRole('button', { name: 'Delete user' })
      expect(await confirm.isDisabled()).toBe(true)
      await dialog.getByLabel('Type carol@example.com to confirm').fill('carol@example.com')
      await screenshot(page, `${lane}-auth-delete-confirm`)
      await confirm.click()
      await page.getByRole('heading', { name: 'Auth', level: 1 }).waitFor()
      await expect.poll(() => page.getByRole('link', { name: 'carol@example.com' }).count()).toBe(0)
      const signIn = await post('/auth/v1/token?grant_type=password', {
        email: 'carol@example.com',
        password: USER_PASSWORD,
      })
      expect(signIn.status).toBe(400)
      await page.close()
    },
  )

  it.skipIf(!RUN_BROWSER)(
    'adds sign-in providers from presets, keeps secrets write-only, and saves the redirect allow-list',
    { timeout: 120_000 },
    async () => {
      const { open, screenshot, expectAccessible, service } = h()
      const page = await open('owner', '/console/auth?tab=providers')
      await page.getByText('No provider yet').waitFor()
      await page.getByRole('button', { name: 'Add provider' }).click()
      await page.getByLabel('Provider', { exact: true }).selectOption('github')
      expect(await page.getByLabel('Authorization URL').inputValue()).toBe(
        'https://github.com/login/oauth/authorize',
      )
      expect(await page.getByLabel('Token URL').inputValue()).toBe(
        'https://github.com/login/oauth/access_token',
      )
      expect(await page.getByLabel('Userinfo URL').inputValue()).toBe('https://api.github.com/user')
      expect(await page.getByLabel('Scopes').inputValue()).toBe('read:user user:email')
      await page.getByLabel('Client ID').fill('github-client-id')
      await page.getByRole('button', { name: 'Add provider', exact: true }).last().click()
      // No secret: the form says what is missing before asking the server.
      await page.getByText('Type the client secret (it is never shown again)').waitFor()
      await page.getByLabel('Client secret').fill('github-client-secret')
      await screenshot(page, `${lane}-auth-provider-form`)
      await expectAccessible(page, 'provider form')
      await page.getByRole('button', { name: 'Add provider', exact: true }).last().click()
      await page.getByText('Saved provider github.').waitFor()
      const row = page.getByRole('row').filter({ hasText: 'github-client-id' })
      await row.waitFor()

      // Microsoft: the issuer names the directory.
      await page.getByRole('button', { name: 'Add provider' }).click()
      await page.getByLabel('Provider', { exact: true }).selectOption('microsoft')
      await page.getByLabel('Directory (tenant) ID').fill('contoso-tenant')
      expect(await page.getByLabel('Issuer').inputValue()).toBe(
        'https://login.microsoftonline.com/contoso-tenant/v2.0',
      )
      await page.getByLabel('Client ID').fill('entra-client')
      await page.getByLabel('Client secret').fill('entra-secret')
      await page.getByRole('button', { name: 'Add provider', exact: true }).last().click()
      await page.getByText('Saved provider microsoft.').waitFor()

      const { providers } = await service<{ providers: Record<string, unknown>[] }>(
        'GET',
        '/admin/v1/auth/providers',
      )
      expect(providers.map((provider) => provider.name).sort()).toEqual(['github', 'microsoft'])
      expect(providers.find((provider) => provider.name === 'github')).toMatchObject({
        type: 'oauth2',
        preset: 'github',
        clientId: 'github-client-id',
      })
      // The secret never comes back, to the page or the API.
      expect(JSON.stringify(providers)).not.toContain('secret"')
      expect(await page.content()).not.toContain('github-client-secret')
      await screenshot(page, `${lane}-auth-providers`)
      await expectAccessible(page, 'providers')

      // Editing asks for the secret again; the form starts from the provider's settings.
      await page.getByRole('button', { name: 'Edit provider github' }).click()
      expect(await page.getByLabel('Client ID').inputValue()).toBe('github-client-id')
      expect(await page.getByLabel('Client secret').inputValue()).toBe('')
      await page.getByRole('button', { name: 'Cancel' }).click()

      await page.getByRole('tab', { name: 'Settings' }).click()
      await page
        .getByLabel(/^Allowed redirect URLs/)
        .fill('https://app.example.com/auth/callback\nhttps://*.example.com/**\n')
      await page.getByRole('button', { name: 'Save redirect URLs' }).click()
      await page.getByText('Saved 2 redirect URLs.').waitFor()
      expect(await service('GET', '/admin/v1/auth/settings')).toEqual({
        redirectUrls: ['https://app.example.com/auth/callback', 'https://*.example.com/**'],
      })
      await screenshot(page, `${lane}-auth-settings`)
      await expectAccessible(page, 'auth settings')
      await page.close()
    },
  )

  it.skipIf(!RUN_BROWSER)(
    'lets a developer manage users but not providers, and a viewer only read',
    { timeout: 90_000 },
    async () => {
      const { open, screenshot, expectAccessible, t } = h()
      const dave = await signUp('dave@example.com')

      const developer = await open('developer', '/console/auth?tab=providers')
      await developer.getByText('Only owners can add or change sign-in providers').waitFor()
      expect(await developer.getByRole('button', { name: 'Add provider' }).count()).toBe(0)
      const cookies = await developer.context().cookies()
      const csrf = cookies.find((cookie) => cookie.name === 'stratus_csrf')?.value ?? ''
      const put = await developer.context().request.put(`${t.url}/admin/v1/auth/providers/gitlab`, {
        headers: { 'x-csrf-token': csrf },
        data: { type: 'oidc', issuer: 'https://gitlab.com', clientId: 'x', clientSecret: 'y' },
      })
      expect(put.status()).toBe(403)
      await screenshot(developer, `${lane}-auth-providers-developer`)
      await expectAccessible(developer, 'providers (developer)')
      await developer.close()

      const viewer = await open('viewer', `/console/auth/users/${dave.user.id}`)
      await viewer.getByRole('heading', { name: 'dave@example.com', level: 1 }).waitFor()
      await viewer.getByRole('region', { name: 'Sessions' }).getByRole('row').nth(1).waitFor()
      for (const name of ['Disable user', 'Delete user', 'Revoke all sessions', 'Reset MFA'])
        expect(await viewer.getByRole('button', { name }).count(), name).toBe(0)
      await screenshot(viewer, `${lane}-auth-user-viewer`)
      await expectAccessible(viewer, 'user (viewer)')
      await viewer.goto(`${t.url}/console/auth`)
      expect(await viewer.getByRole('button', { name: 'New user' }).count()).toBe(0)
      await viewer.close()
    },
  )
})
