import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { SignInPage } from './SignInPage.tsx'

function renderPage() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } })
  return render(
    <QueryClientProvider client={client}>
      <SignInPage />
    </QueryClientProvider>,
  )
}

function answer(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
}

describe('SignInPage', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('asks for the TOTP code when the server says the admin enrolled one, then sends it', async () => {
    const calls: unknown[] = []
    vi.stubGlobal(
      'fetch',
      vi.fn(async (_url: string, init: RequestInit) => {
        const body = JSON.parse(String(init.body))
        calls.push(body)
        if (!body.code)
          return answer(401, { error: { code: 'auth/mfa-required', message: 'A code is needed' } })
        return answer(200, {
          token: 't',
          expiresAt: new Date().toISOString(),
          admin: { id: 'a', email: 'a@b.c', role: 'owner' },
        })
      }),
    )
    renderPage()
    const user = userEvent.setup()
    await user.type(screen.getByLabelText('Email'), 'a@b.c')
    await user.type(screen.getByLabelText('Password'), 'secret-password')
    await user.click(screen.getByRole('button', { name: 'Sign in' }))
    const code = await screen.findByLabelText('Authentication code')
    await user.type(code, '123456')
    await user.click(screen.getByRole('button', { name: 'Sign in' }))
    await vi.waitFor(() => expect(calls).toHaveLength(2))
    expect(calls[1]).toEqual({ email: 'a@b.c', password: 'secret-password', code: '123456' })
  })

  it('shows the error code and message of a refused sign-in', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () =>
        answer(401, { error: { code: 'auth/invalid-credentials', message: 'Wrong email or password' } }),
      ),
    )
    renderPage()
    const user = userEvent.setup()
    await user.type(screen.getByLabelText('Email'), 'a@b.c')
    await user.type(screen.getByLabelText('Password'), 'nope-nope')
    await user.click(screen.getByRole('button', { name: 'Sign in' }))
    const alert = await screen.findByRole('alert')
    expect(alert.textContent).toContain('Wrong email or password')
    expect(alert.textContent).toContain('auth/invalid-credentials')
  })
})
