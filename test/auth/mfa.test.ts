import { randomBytes } from 'node:crypto'
import { decodeJwt } from 'jose'
import { Secret, TOTP, URI } from 'otpauth'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { LANES, usePlatform } from '../support/platform.ts'
import { bearer, eventTypes, NO_RATE_LIMITS, PASSWORD, type SignedUp, signUp } from './helpers.ts'

const STEP_MS = 30_000

/** The code an authenticator app shows for `secret`, `offsetSteps` 30-second steps from now. */
function code(secret: string, offsetSteps = 0): string {
  return new TOTP({ secret: Secret.fromBase32(secret) }).generate({
    timestamp: Date.now() + offsetSteps * STEP_MS,
  })
}

/** A code that is none of those accepted now (current step ±1). */
function wrongCode(secret: string): string {
  const accepted = new Set([-1, 0, 1].map((offset) => code(secret, offset)))
  for (let n = 0; ; n++) {
    const candidate = String(n).padStart(6, '0')
    if (!accepted.has(candidate)) return candidate
  }
}

/**
 * Waits, if needed, until the current 30-second step has at least 3 s left, so that a test computing
 * codes relative to "now" does not see the step turn between computing a code and the server checking it.
 */
async function clearOfStepBoundary(): Promise<void> {
  const left = STEP_MS - (Date.now() % STEP_MS)
  if (left < 3000) await new Promise((resolve) => setTimeout(resolve, left + 50))
}

const encryptionKey = (lane: string): Record<string, string> =>
  lane === 'real' ? { AUTH_ENCRYPTION_KEY: randomBytes(32).toString('base64') } : {}

// TOTP MFA end to end: enroll → verify → aal2; sign-in at aal1 → code → aal2 → a rule requiring aal2.
describe.each(LANES)('auth MFA (%s lane)', (lane) => {
  const t = usePlatform(lane, { ...NO_RATE_LIMITS, ...encryptionKey(lane) })
  const api = () => request(t.url)
  const signIn = async (email: string) => {
    const res = await api().post('/auth/v1/token?grant_type=password').send({ email, password: PASSWORD })
    expect(res.status).toBe(200)
    return res.body.session as { access_token: string; refresh_token: string }
  }
  const enroll = async (access: string) => {
    const res = await api().post('/auth/v1/factors').set(bearer(access)).send({ type: 'totp' })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    return res.body as { id: string; type: string; secret: string; uri: string }
  }
  const verify = (access: string, factorId: string, totp: string) =>
    api().post(`/auth/v1/factors/${factorId}/verify`).set(bearer(access)).send({ code: totp })

  /** A user with a verified factor: its secret, recovery codes and aal2 session. */
  async function mfaUser(): Promise<
    SignedUp & { factorId: string; secret: string; recoveryCodes: string[]; aal2: string }
  > {
    await clearOfStepBoundary()
    const u = await signUp(t)
    const factor = await enroll(u.access)
    const res = await verify(u.access, factor.id, code(factor.secret))
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    return {
      ...u,
      factorId: factor.id,
      secret: factor.secret,
      recoveryCodes: res.body.recoveryCodes,
      aal2: res.body.session.access_token,
    }
  }

  it('enroll → verify → aal2 session; sign-in at aal1 → code → aal2 → a rule requiring aal2 allows the write', async () => {
    await clearOfStepBoundary()
    const u = await signUp(t)
    expect(decodeJwt(u.access).aal).toBe('aal1')

    const factor = await enroll(u.access)
    expect(factor).toEqual({
      id: expect.any(String),
      type: 'totp',
      secret: expect.stringMatching(/^[A-Z2-7]{32}$/),
      uri: expect.stringMatching(/^otpauth:\/\/totp\//),
    })
    // The URI is what an authenticator app scans: it must carry the same secret.
    const parsed = URI.parse(factor.uri) as TOTP
    expect(parsed).toBeInstanceOf(TOTP)
    expect(parsed.issuer).toBe('Stratus')
    expect(parsed.label).toBe(u.email)
    expect(parsed.secret.base32).toBe(factor.secret)
    const pending = await api().get('/auth/v1/user').set(bearer(u.access))
    expect(pending.body.user.factors).toEqual([
      { id: factor.id, type: 'totp', status: 'unverified', createdAt: expect.any(String) },
    ])

    const wrong = await verify(u.access, factor.id, wrongCode(factor.secret))
    expect(wrong.status).toBe(400)
    expect(wrong.body.error.code).toBe('auth/invalid-credentials')

    const totp = code(factor.secret)
    const ok = await verify(u.access, factor.id, totp)
    expect(ok.status).toBe(200)
    expect(ok.body.recoveryCodes).toHaveLength(10)
    const claims = decodeJwt(ok.body.session.access_token)
    expect(claims).toMatchObject({ sub: u.uid, aal: 'aal2' })
    expect(claims.sid).not.toBe(decodeJwt(u.access).sid)
    // The aal1 session it replaced is over.
    expect((await api().get('/auth/v1/user').set(bearer(u.access))).status).toBe(401)
    const oldRefresh = await api()
      .post('/auth/v1/token?grant_type=refresh_token')
      .send({ refresh_token: u.refresh })
    expect(oldRefresh.status).toBe(401)
    // Refreshing keeps aal2.
    const refreshed = await api()
      .post('/auth/v1/token?grant_type=refresh_token')
      .send({ refresh_token: ok.body.session.refresh_token })
    expect(decodeJwt(refreshed.body.session.access_token).aal).toBe('aal2')
    // A code works once.
    const replay = await verify(refreshed.body.session.access_token, factor.id, totp)
    expect(replay.status).toBe(400)

    const me = await api().get('/auth/v1/user').set(bearer(refreshed.body.session.access_token))
    expect(me.body.user.factors).toEqual([expect.objectContaining({ id: factor.id, status: 'verified' })])
    expect(await eventTypes(t, u.uid)).toEqual([
      'auth.user.created',
      'auth.user.updated',
      'auth.user.updated',
    ])

    // A later sign-in is aal1 until a code is given; a rule requiring aal2 tells the two apart.
    const collection = `mfa_notes_${lane}`
    const rule = await api()
      .put(`/admin/v1/collections/${collection}`)
      .set(bearer(t.serviceKey))
      .send({ rules: { read: 'auth != null', create: 'auth != null && auth.claims.aal == "aal2"' } })
    expect(rule.status, JSON.stringify(rule.body)).toBe(200)
    const write = (access: string) =>
      api()
        .post(`/db/v1/collections/${collection}/documents`)
        .set(bearer(access))
        .send({ data: { secret: 'only with a second factor' } })

    const aal1 = await signIn(u.email)
    expect(decodeJwt(aal1.access_token).aal).toBe('aal1')
    expect((await write(aal1.access_token)).status).toBe(403)
    const stepUp = await verify(aal1.access_token, factor.id, code(factor.secret, 1))
    expect(stepUp.status, JSON.stringify(stepUp.body)).toBe(200)
    expect(stepUp.body.recoveryCodes).toBeUndefined()
    expect(decodeJwt(stepUp.body.session.access_token).aal).toBe('aal2')
    expect((await write(stepUp.body.session.access_token)).status).toBe(201)
  })

  it('accepts the previous and next 30-second steps, not two away; codes never go back', async () => {
    await clearOfStepBoundary()
    const u = await signUp(t)
    const factor = await enroll(u.access)
    expect((await verify(u.access, factor.id, code(factor.secret, -1))).status).toBe(200)

    const first = await signIn(u.email)
    expect((await verify(first.access_token, factor.id, code(factor.secret, -2))).status).toBe(400)
    expect((await verify(first.access_token, factor.id, code(factor.secret, 2))).status).toBe(400)
    expect((await verify(first.access_token, factor.id, code(factor.secret, 1))).status).toBe(200)

    // The step +1 was used: the current step's code is now behind it.
    const second = await signIn(u.email)
    const behind = await verify(second.access_token, factor.id, code(factor.secret, 0))
    expect(behind.status).toBe(400)
    expect(behind.body.error.code).toBe('auth/invalid-credentials')
  })

  it('at aal1 a user with a verified factor cannot add or remove factors; at aal2 removing works', async () => {
    const u = await mfaUser()
    const aal1 = await signIn(u.email)
    const add = await api().post('/auth/v1/factors').set(bearer(aal1.access_token)).send({ type: 'totp' })
    expect(add.status).toBe(403)
    expect(add.body.error.code).toBe('auth/insufficient-aal')
    const remove = await api().delete(`/auth/v1/factors/${u.factorId}`).set(bearer(aal1.access_token))
    expect(remove.status).toBe(403)
    expect(remove.body.error.code).toBe('auth/insufficient-aal')

    // A second factor enrolled at aal2 cannot be turned on from an aal1 session either.
    const second = await enroll(u.aal2)
    const turnOn = await verify(aal1.access_token, second.id, code(second.secret))
    expect(turnOn.status).toBe(403)
    expect(turnOn.body.error.code).toBe('auth/insufficient-aal')
    expect((await api().delete(`/auth/v1/factors/${second.id}`).set(bearer(u.aal2))).status).toBe(204)

    const removed = await api().delete(`/auth/v1/factors/${u.factorId}`).set(bearer(u.aal2))
    expect(removed.status).toBe(204)
    const list = await api().get('/auth/v1/factors').set(bearer(u.aal2))
    expect(list.body).toEqual({ factors: [] })
    const codes = await t.platform.db.query('SELECT 1 FROM auth_recovery_codes WHERE user_id = $1', [u.uid])
    expect(codes).toEqual([])
    expect((await eventTypes(t, u.uid)).slice(-1)).toEqual(['auth.user.updated'])
    // With no verified factor left, an aal1 session may enroll again.
    const again = await signIn(u.email)
    expect(
      (await api().post('/auth/v1/factors').set(bearer(again.access_token)).send({ type: 'totp' })).status,
    ).toBe(200)
  })

  it('recovery codes: stored hashed, single use, stand in for a code; a new set needs aal2', async () => {
    const u = await mfaUser()
    expect(u.recoveryCodes.every((c) => /^[a-z2-9]{5}-[a-z2-9]{5}$/.test(c))).toBe(true)
    const stored = await t.platform.db.query<{ code_hash: string }>(
      'SELECT code_hash FROM auth_recovery_codes WHERE user_id = $1',
      [u.uid],
    )
    expect(stored).toHaveLength(10)
    for (const { code_hash } of stored) {
      expect(code_hash).toMatch(/^[0-9a-f]{64}$/)
      expect(u.recoveryCodes.join()).not.toContain(code_hash)
    }

    const aal1 = await signIn(u.email)
    const regenerateAtAal1 = await api().post('/auth/v1/recovery-codes').set(bearer(aal1.access_token))
    expect(regenerateAtAal1.status).toBe(403)
    const use = (access: string, recoveryCode: string) =>
      api().post('/auth/v1/recovery-codes/verify').set(bearer(access)).send({ code: recoveryCode })
    const used = await use(aal1.access_token, u.recoveryCodes[0]!)
    expect(used.status).toBe(200)
    expect(decodeJwt(used.body.session.access_token).aal).toBe('aal2')
    const again = await signIn(u.email)
    expect((await use(again.access_token, u.recoveryCodes[0]!)).status).toBe(400)
    // Typed back without the dash, in capitals: still the same code.
    const typed = u.recoveryCodes[1]!.replace('-', '').toUpperCase()
    expect((await use(again.access_token, typed)).status).toBe(200)

    const fresh = await api().post('/auth/v1/recovery-codes').set(bearer(used.body.session.access_token))
    expect(fresh.status).toBe(200)
    expect(fresh.body.recoveryCodes).toHaveLength(10)
    const third = await signIn(u.email)
    expect((await use(third.access_token, u.recoveryCodes[2]!)).status).toBe(400)
    expect((await use(third.access_token, fresh.body.recoveryCodes[0])).status).toBe(200)
  })

  it.each([
    [
      'no token',
      (_u: SignedUp, _f: string) => api().post('/auth/v1/factors').send({ type: 'totp' }),
      401,
      'auth/unauthenticated',
    ],
    [
      'an unknown factor type',
      (u: SignedUp) => api().post('/auth/v1/factors').set(bearer(u.access)).send({ type: 'sms' }),
      400,
      'request/invalid',
    ],
    ['an unknown factor', (u: SignedUp) => verify(u.access, 'nope', '123456'), 404, 'auth/factor-not-found'],
    [
      'a code that is not 6 digits',
      (u: SignedUp, f: string) => verify(u.access, f, 'abcdef'),
      400,
      'auth/invalid-credentials',
    ],
    [
      'a body without code',
      (u: SignedUp, f: string) => api().post(`/auth/v1/factors/${f}/verify`).set(bearer(u.access)).send({}),
      400,
      'request/invalid',
    ],
    [
      'deleting an unknown factor',
      (u: SignedUp) => api().delete('/auth/v1/factors/nope').set(bearer(u.access)),
      404,
      'auth/factor-not-found',
    ],
  ] as const)('refuses %s', async (_name, call, status, errorCode) => {
    const u = await signUp(t)
    const factor = await enroll(u.access)
    const res = await call(u, factor.id)
    expect(res.status).toBe(status)
    expect(res.body.error.code).toBe(errorCode)
  })

  it("another user's factor is not found", async () => {
    const owner = await signUp(t)
    const factor = await enroll(owner.access)
    const other = await signUp(t)
    const res = await verify(other.access, factor.id, code(factor.secret))
    expect(res.status).toBe(404)
    const del = await api().delete(`/auth/v1/factors/${factor.id}`).set(bearer(other.access))
    expect(del.status).toBe(404)
  })

  it('stores the TOTP secret encrypted', async () => {
    const u = await signUp(t)
    const factor = await enroll(u.access)
    const [row] = await t.platform.db.query<{ secret_encrypted: string }>(
      'SELECT secret_encrypted FROM auth_factors WHERE id = $1',
      [factor.id],
    )
    expect(row!.secret_encrypted).toMatch(/^v1\./)
    expect(row!.secret_encrypted).not.toContain(factor.secret)
  })
})

// Code attempts are limited per user, not per address.
describe.each(LANES)('auth MFA rate limit (%s lane)', (lane) => {
  const t = usePlatform(lane, { ...NO_RATE_LIMITS, RATE_LIMIT_MFA: '3', ...encryptionKey(lane) })
  it('refuses the 4th attempt in a window with 429 rate-limited; another user is not affected', async () => {
    const attempt = async (u: SignedUp, factorId: string, secret: string) =>
      request(t.url)
        .post(`/auth/v1/factors/${factorId}/verify`)
        .set(bearer(u.access))
        .send({ code: wrongCode(secret) })
    const u = await signUp(t)
    const factor = (
      await request(t.url).post('/auth/v1/factors').set(bearer(u.access)).send({ type: 'totp' })
    ).body
    for (let i = 0; i < 3; i++) expect((await attempt(u, factor.id, factor.secret)).status).toBe(400)
    const limited = await attempt(u, factor.id, factor.secret)
    expect(limited.status).toBe(429)
    expect(limited.body.error.code).toBe('rate-limited')
    // Recovery codes have a budget of their own (50-bit codes: guessing them is hopeless anyway).
    const recovery = () =>
      request(t.url)
        .post('/auth/v1/recovery-codes/verify')
        .set(bearer(u.access))
        .send({ code: 'aaaaa-aaaaa' })
    for (let i = 0; i < 3; i++) expect((await recovery()).status).toBe(400)
    expect((await recovery()).status).toBe(429)

    const other = await signUp(t)
    const otherFactor = (
      await request(t.url).post('/auth/v1/factors').set(bearer(other.access)).send({ type: 'totp' })
    ).body
    expect((await attempt(other, otherFactor.id, otherFactor.secret)).status).toBe(400)
  })
})
