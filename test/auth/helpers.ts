import { importJWK, type JWK } from 'jose'
import request from 'supertest'
import { expect } from 'vitest'
import { embeddedKeyPath, isSealed, openSecretBox, unseal } from '../../services/auth/secret-box.ts'
import { eventually, uniqueName } from '../support/lanes.ts'
import type { TestPlatform } from '../support/platform.ts'

/** Auth rate limits off, for suites that create many accounts from one IP. */
export const NO_RATE_LIMITS = {
  RATE_LIMIT_SIGNUP: '0',
  RATE_LIMIT_SIGNIN: '0',
  RATE_LIMIT_SIGNIN_ACCOUNT: '0',
  RATE_LIMIT_REFRESH: '0',
  RATE_LIMIT_RECOVER: '0',
  RATE_LIMIT_OAUTH: '0',
  RATE_LIMIT_MFA: '0',
}

export const PASSWORD = 'correct horse battery'

/** A fresh address (mixed case, to exercise normalisation). */
export function newEmail(): string {
  return `${uniqueName('User')}@Example.test`
}

export interface SignedUp {
  email: string
  uid: string
  access: string
  refresh: string
  body: Record<string, unknown>
}

/** Signs up a new user and returns its ids and tokens. */
export async function signUp(t: TestPlatform, email = newEmail(), password = PASSWORD): Promise<SignedUp> {
  const res = await request(t.url).post('/auth/v1/signup').send({ email, password })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return {
    email: email.toLowerCase(),
    uid: res.body.user.id,
    access: res.body.session.access_token,
    refresh: res.body.session.refresh_token,
    body: res.body,
  }
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

/** The events written to the outbox for a subject, in order: `[type, data]`. */
export async function eventsFor(
  t: TestPlatform,
  subject: string,
): Promise<{ type: string; data: unknown }[]> {
  return t.platform.db.query<{ type: string; data: unknown }>(
    'SELECT type, data FROM outbox WHERE subject = $1 ORDER BY id',
    [subject],
  )
}

/** The event types written for a user so far. */
export async function eventTypes(t: TestPlatform, uid: string): Promise<string[]> {
  return (await eventsFor(t, `users/${uid}`)).map((e) => e.type)
}

/** Subjects of the auth mails. */
export const SUBJECT = { recovery: 'Reset your password', email: 'Confirm your email address' } as const

/**
 * Waits until the dev mailbox holds `count` messages to `to` (with `subject`, when given) and returns
 * the newest of them, with its token.
 */
export async function waitForMail(
  t: TestPlatform,
  to: string,
  options: { subject?: string; count?: number } = {},
): Promise<{ subject: string; text: string; token: string }> {
  const count = options.count ?? 1
  const mails = await eventually(
    async () => {
      const res = await request(t.url).get('/admin/v1/mail').query({ to }).set(bearer(t.serviceKey))
      expect(res.status).toBe(200)
      const matching = (res.body.mails as { subject: string; text: string }[]).filter(
        (m) => options.subject === undefined || m.subject === options.subject,
      )
      return matching.length >= count ? matching : undefined
    },
    10_000,
    `mail to ${to}`,
  )
  const newest = mails![0]!
  return { subject: newest.subject, text: newest.text, token: extractToken(newest.text) }
}

/** The one-time token in a mail body (on a line of its own). */
export function extractToken(text: string): string {
  const match = /^\s+([A-Za-z0-9_-]{43})$/m.exec(text)
  if (!match?.[1]) throw new Error(`no token in mail:\n${text}`)
  return match[1]
}

/** Every string anywhere in a JSON value (to look for leaked hashes). */
export function allStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.flatMap(allStrings)
  if (value && typeof value === 'object') return Object.values(value).flatMap(allStrings)
  return []
}

/** Asserts that nothing in `value` looks like an argon2 hash or a sha256 token hash, or names one. */
export function expectNoSecrets(value: unknown): void {
  const json = JSON.stringify(value)
  expect(json).not.toMatch(/\$argon2/)
  expect(json).not.toMatch(/password_?hash|token_?hash|passwordHash|tokenHash/i)
  for (const s of allStrings(value)) expect(s).not.toMatch(/^[0-9a-f]{64}$/)
}

/**
 * The private half of the project's newest signing key (decrypted: it is stored encrypted), as only a
 * key holder has it: for forging tokens that are validly signed but malformed.
 */
export async function projectSigningKey(t: TestPlatform) {
  const [row] = await t.platform.db.query<{ kid: string; private_jwk: unknown }>(
    'SELECT kid, private_jwk FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1',
  )
  const box = openSecretBox({
    key: t.platform.config.auth.encryptionKey,
    generatedKeyFile: t.lane === 'embedded' ? embeddedKeyPath(t.env.STRATUS_DATA_DIR!) : undefined,
  })
  const stored = row!.private_jwk
  const jwk = (isSealed(stored) ? JSON.parse(unseal(box, stored, `signing-key:${row!.kid}`)) : stored) as JWK
  return { kid: row!.kid, key: await importJWK(jwk, 'ES256') }
}
