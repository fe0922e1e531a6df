import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { ApiKey } from '../../api/admins.ts'
import { ApiKeysSection } from './ApiKeysSection.tsx'

const SECRET = `sk_${'a'.repeat(24)}_${'S'.repeat(43)}`

const key = (over: Partial<ApiKey>): ApiKey => ({
  id: 'b'.repeat(24),
  name: 'deploys',
  scopes: ['functions:deploy'],
  expiresAt: null,
  createdAt: new Date(Date.now() - 3_600_000).toISOString(),
  createdBy: { type: 'admin', id: 'a1', email: 'owner@example.com' },
  lastUsedAt: null,
  revokedAt: null,
  ...over,
})

function answer(status: number, body?: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  })
}

/** A fake of the three API key routes, recording what the section sent. */
function fakeServer(initial: ApiKey[]) {
  const keys = [...initial]
  const calls: { method: string; url: string; body?: unknown }[] = []
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET'
      const body = init.body ? JSON.parse(String(init.body)) : undefined
      calls.push({ method, url, body })
      if (method === 'GET' && url === '/admin/v1/api-keys') return answer(200, { apiKeys: keys })
      if (method === 'POST' && url === '/admin/v1/api-keys') {
        const created = key({ id: 'c'.repeat(24), name: body.name, scopes: body.scopes })
        keys.unshift(created)
        return answer(201, { ...created, key: SECRET })
      }
      const revoked = /^\/admin\/v1\/api-keys\/(\w+)$/.exec(url)
      if (method === 'DELETE' && revoked) {
        const found = keys.find((k) => k.id === revoked[1])
        if (found) found.revokedAt = new Date().toISOString()
        return answer(204)
      }
      return answer(404, { error: { code: 'request/not-found', message: `${method} ${url}` } })
    }),
  )
  return calls
}

function renderSection() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } })
  return render(
    <QueryClientProvider client={client}>
      <ApiKeysSection />
    </QueryClientProvider>,
  )
}

describe('API keys section', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('lists keys with their state, and offers to revoke only the live ones', async () => {
    fakeServer([
      key({ lastUsedAt: new Date().toISOString() }),
      key({ id: 'd'.repeat(24), name: 'old', revokedAt: new Date().toISOString() }),
      key({
        id: 'e'.repeat(24),
        name: 'made by CI',
        createdBy: { type: 'service', id: `apikey:${'f'.repeat(24)}` },
        expiresAt: new Date(Date.now() - 1000).toISOString(),
      }),
    ])
    renderSection()
    const table = await screen.findByRole('table')
    const row = (name: string) => within(table).getByRole('row', { name: new RegExp(`^${name} `) })
    expect(within(row('deploys')).getByText('active')).toBeTruthy()
    expect(within(row('deploys')).getByText(/by owner@example\.com$/)).toBeTruthy()
    expect(within(row('old')).getByText('revoked')).toBeTruthy()
    expect(within(row('made by CI')).getByText('expired')).toBeTruthy()
    expect(within(row('made by CI')).getByText(new RegExp(` by API key ${'f'.repeat(24)}$`))).toBeTruthy()
    expect(screen.getByRole('button', { name: 'Revoke API key deploys' })).toBeTruthy()
    expect(screen.queryByRole('button', { name: 'Revoke API key old' })).toBeNull()
  })

  it('creates a key with the chosen scopes and expiry, shows it once with a copy button, then forgets it', async () => {
    const calls = fakeServer([])
    renderSection()
    const user = userEvent.setup()
    await screen.findByText('No API keys yet.')
    const form = screen.getByRole('form', { name: 'Create an API key' })
    const create = within(form).getByRole('button', { name: 'Create API key' }) as HTMLButtonElement
    expect(create.disabled).toBe(true)
    await user.type(within(form).getByLabelText('Name'), 'CI')
    const dbRead = within(form).getByRole('checkbox', { name: 'db:read' })
    expect(dbRead.getAttribute('aria-describedby')).toBeTruthy()
    await user.click(dbRead)
    await user.click(within(form).getByRole('checkbox', { name: 'queue:publish' }))
    await user.selectOptions(within(form).getByLabelText('Expires'), 'In 30 days')
    expect(create.disabled).toBe(false)
    await user.click(create)

    const shown = (await screen.findByLabelText('API key (shown once)')) as HTMLTextAreaElement
    expect(shown.value).toBe(SECRET)
    expect(screen.getByRole('button', { name: 'Copy API key' })).toBeTruthy()
    expect(calls.find((call) => call.method === 'POST')?.body).toEqual({
      name: 'CI',
      scopes: ['db:read', 'queue:publish'],
      expiresInDays: 30,
    })
    expect(await screen.findByRole('row', { name: /^CI / })).toBeTruthy()

    await user.click(screen.getByRole('button', { name: 'Done' }))
    expect(screen.queryByLabelText('API key (shown once)')).toBeNull()
    expect(document.body.textContent).not.toContain(SECRET)
    expect(screen.getByRole('form', { name: 'Create an API key' })).toBeTruthy()
  })

  it('revokes a key only after confirmation', async () => {
    const calls = fakeServer([key({})])
    renderSection()
    const user = userEvent.setup()
    await user.click(await screen.findByRole('button', { name: 'Revoke API key deploys' }))
    const dialog = screen.getByRole('dialog', { name: 'Revoke API key deploys?' })
    expect(calls.some((call) => call.method === 'DELETE')).toBe(false)
    await user.click(within(dialog).getByRole('button', { name: 'Revoke key' }))
    expect(await screen.findByText('Revoked API key deploys.')).toBeTruthy()
    expect(calls.filter((call) => call.method === 'DELETE').map((call) => call.url)).toEqual([
      `/admin/v1/api-keys/${'b'.repeat(24)}`,
    ])
    expect(await screen.findByText('revoked')).toBeTruthy()
    expect(screen.queryByRole('button', { name: 'Revoke API key deploys' })).toBeNull()
  })
})
