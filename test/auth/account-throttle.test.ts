import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { LANES, usePlatform } from '../support/platform.ts'
import { NO_RATE_LIMITS, newEmail, PASSWORD, signUp } from './helpers.ts'

const MAX_FAILURES = 3

// Failed sign-ins are counted per account whatever the client address, and an unknown address is
// counted and answered exactly like a known one.
describe.each(LANES)('per-account sign-in throttle (%s lane)', (lane) => {
  const t = usePlatform(lane, {
    ...NO_RATE_LIMITS,
    TRUST_PROXY: 'true',
    RATE_LIMIT_WINDOW_SECONDS: '600',
    RATE_LIMIT_SIGNIN: '1000',
    RATE_LIMIT_SIGNIN_ACCOUNT: String(MAX_FAILURES),
  })
  let ip = 0
  // Each attempt from a new client address: the per-IP limit never sees two.
  const signIn = (email: string, password: string) =>
    request(t.url)
      .post('/auth/v1/token?grant_type=password')
      .set('x-forwarded-for', `198.51.100.${++ip % 250}`)
      .send({ email, password })

  /** Statuses and bodies of MAX_FAILURES wrong guesses, then the right password. */
  async function attack(email: string) {
    const answers = []
    for (let i = 0; i < MAX_FAILURES; i++) answers.push(await signIn(email, `wrong guess ${i}`))
    answers.push(await signIn(email, PASSWORD))
    return answers
  }

  it('throttles an account after failures spread over many addresses, the right password included', async () => {
    const victim = await signUp(t)
    const bystander = await signUp(t)
    const answers = await attack(victim.email)
    for (const res of answers.slice(0, MAX_FAILURES)) {
      expect(res.status).toBe(400)
      expect(res.body.error.code).toBe('auth/invalid-credentials')
    }
    const limited = answers[MAX_FAILURES]!
    expect(limited.status).toBe(429)
    expect(limited.body.error.code).toBe('rate-limited')
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(600)
    // Another account is not affected; the victim's address in another case is the same account.
    expect((await signIn(bystander.email, PASSWORD)).status).toBe(200)
    expect((await signIn(victim.email.toUpperCase(), PASSWORD)).status).toBe(429)
  })

  it('answers an unknown address exactly like a known one, and stores no address in clear', async () => {
    const known = await signUp(t)
    const unknown = newEmail().toLowerCase()
    const a = await attack(known.email)
    const b = await attack(unknown)
    expect(b.map((res) => res.status)).toEqual(a.map((res) => res.status))
    expect(b.map((res) => res.body)).toEqual(a.map((res) => res.body))
    expect(b[MAX_FAILURES]!.headers['retry-after']).toBeDefined()
    const rows = await t.platform.db.query<{ account_hash: string; failures: number }>(
      'SELECT account_hash, failures FROM auth_signin_failures',
    )
    for (const row of rows) {
      expect(row.account_hash).toMatch(/^[0-9a-f]{64}$/)
      expect(row.account_hash).not.toContain('@')
    }
    expect(rows.filter((row) => row.failures === MAX_FAILURES).length).toBeGreaterThanOrEqual(2)
  })

  it('a successful sign-in clears the count', async () => {
    const user = await signUp(t)
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < MAX_FAILURES - 1; i++)
        expect((await signIn(user.email, 'nope nope')).status).toBe(400)
      expect((await signIn(user.email, PASSWORD)).status).toBe(200)
    }
  })
})
