import { decodeJwt } from 'jose'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LANES, startTestPlatform, type TestPlatform } from '../support/platform.ts'
import {
  bearer,
  eventTypes,
  NO_RATE_LIMITS,
  newEmail,
  PASSWORD,
  SUBJECT,
  signUp,
  waitForMail,
} from './helpers.ts'

// Recovery and email verification end to end: request → dev mailbox → one-time token → verify.
describe.each(LANES)('auth recovery and verification (%s lane)', (lane) => {
  let t: TestPlatform
  beforeAll(async () => {
    t = await startTestPlatform(lane, {
      ...NO_RATE_LIMITS,
      AUTH_EMAIL_VERIFICATION: 'true',
      AUTH_SITE_URL: 'https://app.example/auth',
    })
  })
  afterAll(async () => {
    await t?.close()
  })

  const api = () => request(t.url)
  const recover = (email: string) => api().post('/auth/v1/recover').send({ email })
  const verifyRecovery = (token: string, password = 'a brand new password') =>
    api().post('/auth/v1/verify').send({ type: 'recovery', token, password })

  /** The newest recovery mail to `email`, once there are `count` of them. */
  const recoveryMail = (email: string, count = 1) =>
    waitForMail(t, email, { subject: SUBJECT.recovery, count })
  const verificationMail = (email: string, count = 1) =>
    waitForMail(t, email, { subject: SUBJECT.email, count })

  it('recovers an account: 204, a mailed token, a new password, a new session, other sessions ended', async () => {
    const u = await signUp(t)
    const res = await recover(u.email.toUpperCase())
    expect(res.status).toBe(204)
    expect(res.text).toBe('')
    const mail = await recoveryMail(u.email)
    expect(mail.text).toContain(`https://app.example/auth#type=recovery&token=${mail.token}`)

    const done = await verifyRecovery(mail.token)
    expect(done.status).toBe(200)
    expect(Object.keys(done.body)).toEqual(['session'])
    expect(decodeJwt(done.body.session.access_token).sub).toBe(u.uid)

    const oldPassword = await api()
      .post('/auth/v1/token?grant_type=password')
      .send({ email: u.email, password: PASSWORD })
    expect(oldPassword.status).toBe(400)
    const newPassword = await api()
      .post('/auth/v1/token?grant_type=password')
      .send({ email: u.email, password: 'a brand new password' })
    expect(newPassword.status).toBe(200)
    const oldSession = await api()
      .post('/auth/v1/token?grant_type=refresh_token')
      .send({ refresh_token: u.refresh })
    expect(oldSession.status).toBe(401)
    expect(await eventTypes(t, u.uid)).toEqual(['auth.user.created', 'auth.user.updated'])
  })

  it('answers 204 for an unknown email and mails nothing', async () => {
    const email = newEmail()
    const res = await recover(email)
    expect(res.status).toBe(204)
    await t.platform.auth.idle()
    const mails = await api().get('/admin/v1/mail').query({ to: email }).set(bearer(t.serviceKey))
    expect(mails.body.mails).toEqual([])
  })

  it('a token is single use → the second use is 400 auth/invalid-credentials', async () => {
    const u = await signUp(t)
    await recover(u.email)
    const { token } = await recoveryMail(u.email)
    expect((await verifyRecovery(token)).status).toBe(200)
    const again = await verifyRecovery(token, 'yet another password')
    expect(again.status).toBe(400)
    expect(again.body.error.code).toBe('auth/invalid-credentials')
  })

  it('a successful recovery spends the other recovery tokens of the user', async () => {
    const u = await signUp(t)
    await recover(u.email)
    const first = await recoveryMail(u.email, 1)
    await recover(u.email)
    const second = await recoveryMail(u.email, 2)
    expect(second.token).not.toBe(first.token)
    expect((await verifyRecovery(second.token)).status).toBe(200)
    expect((await verifyRecovery(first.token)).body.error.code).toBe('auth/invalid-credentials')
  })

  it('an expired token → 401 auth/token-expired, and it stays unusable', async () => {
    const u = await signUp(t)
    await recover(u.email)
    const { token } = await recoveryMail(u.email)
    const rows = await t.platform.db.query<{ expires_at: Date; created_at: Date }>(
      "SELECT expires_at, created_at FROM auth_one_time_tokens WHERE user_id = $1 AND type = 'recovery'",
      [u.uid],
    )
    expect(rows[0]!.expires_at.getTime() - rows[0]!.created_at.getTime()).toBe(3600_000)
    await t.platform.db.query(
      "UPDATE auth_one_time_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1",
      [u.uid],
    )
    const res = await verifyRecovery(token)
    expect(res.status).toBe(401)
    expect(res.body.error.code).toBe('auth/token-expired')
  })

  it('a weak new password → 422 auth/weak-password, and the token survives', async () => {
    const u = await signUp(t)
    await recover(u.email)
    const { token } = await recoveryMail(u.email)
    const weak = await verifyRecovery(token, 'short')
    expect(weak.status).toBe(422)
    expect(weak.body.error.code).toBe('auth/weak-password')
    expect((await verifyRecovery(token)).status).toBe(200)
  })

  it('a token mailed before an email change proves nothing afterwards', async () => {
    const u = await signUp(t)
    await recover(u.email)
    const { token } = await recoveryMail(u.email)
    await api().patch('/auth/v1/user').set(bearer(u.access)).send({ email: newEmail() })
    const res = await verifyRecovery(token)
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('auth/invalid-credentials')
  })

  it('a disabled account gets no recovery mail', async () => {
    const u = await signUp(t)
    await verificationMail(u.email)
    await api().patch(`/admin/v1/users/${u.uid}`).set(bearer(t.serviceKey)).send({ disabled: true })
    await recover(u.email)
    await t.platform.auth.idle()
    const mails = await api().get('/admin/v1/mail').query({ to: u.email }).set(bearer(t.serviceKey))
    expect(mails.body.mails).toHaveLength(1)
  })

  it.each([
    [
      'an unknown token',
      { type: 'recovery', token: 'x'.repeat(43), password: PASSWORD },
      400,
      'auth/invalid-credentials',
    ],
    ['a recovery without a password', { type: 'recovery', token: 'x'.repeat(43) }, 400, 'request/invalid'],
    ['an unknown type', { type: 'magic', token: 'x' }, 400, 'request/invalid'],
    ['no token', { type: 'recovery', password: PASSWORD }, 400, 'request/invalid'],
  ])('POST /verify refuses %s → %i %s', async (_name, body, status, code) => {
    const res = await api().post('/auth/v1/verify').send(body)
    expect(res.status).toBe(status)
    expect(res.body.error.code).toBe(code)
  })

  it('POST /recover refuses a body without an email → 400 request/invalid', async () => {
    const res = await api().post('/auth/v1/recover').send({})
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('request/invalid')
  })

  describe('email verification', () => {
    it('mails a token at sign-up; verifying it marks the email verified and signs in', async () => {
      const u = await signUp(t)
      expect(decodeJwt(u.access).email_verified).toBe(false)
      const mail = await verificationMail(u.email)
      const res = await api().post('/auth/v1/verify').send({ type: 'email', token: mail.token })
      expect(res.status).toBe(200)
      expect(res.body.user.id).toBe(u.uid)
      expect(decodeJwt(res.body.session.access_token).email_verified).toBe(true)
      const admin = await api().get(`/admin/v1/users/${u.uid}`).set(bearer(t.serviceKey))
      expect(admin.body.user.emailVerified).toBe(true)
      expect(await eventTypes(t, u.uid)).toEqual(['auth.user.created', 'auth.user.updated'])
      // Verified addresses get no more verification mail.
      await api().post('/auth/v1/resend').send({ email: u.email })
      await t.platform.auth.idle()
      const mails = await api().get('/admin/v1/mail').query({ to: u.email }).set(bearer(t.serviceKey))
      expect(mails.body.mails).toHaveLength(1)
    })

    it('POST /resend mails a new token to an unverified address (and 204 for any address)', async () => {
      const u = await signUp(t)
      await verificationMail(u.email)
      expect((await api().post('/auth/v1/resend').send({ email: u.email })).status).toBe(204)
      const second = await verificationMail(u.email, 2)
      expect((await api().post('/auth/v1/verify').send({ type: 'email', token: second.token })).status).toBe(
        200,
      )
      expect((await api().post('/auth/v1/resend').send({ email: newEmail() })).status).toBe(204)
    })

    it('a recovery token cannot verify an email, nor the reverse', async () => {
      const u = await signUp(t)
      const verification = await verificationMail(u.email)
      const asRecovery = await verifyRecovery(verification.token)
      expect(asRecovery.body.error.code).toBe('auth/invalid-credentials')
      await recover(u.email)
      const recovery = await recoveryMail(u.email)
      const asEmail = await api().post('/auth/v1/verify').send({ type: 'email', token: recovery.token })
      expect(asEmail.body.error.code).toBe('auth/invalid-credentials')
    })

    it('an email change mails a verification to the new address', async () => {
      const u = await signUp(t)
      const email = newEmail()
      await api().patch('/auth/v1/user').set(bearer(u.access)).send({ email })
      const mail = await verificationMail(email.toLowerCase())
      expect(mail.text).toContain(email.toLowerCase())
    })
  })

  it('stores one-time tokens only as sha256 hashes', async () => {
    const u = await signUp(t)
    const { token } = await verificationMail(u.email)
    const rows = await t.platform.db.query<{ token_hash: string }>(
      'SELECT token_hash FROM auth_one_time_tokens WHERE user_id = $1',
      [u.uid],
    )
    expect(rows).toHaveLength(1)
    expect(rows[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/)
    expect(rows[0]!.token_hash).not.toContain(token)
  })

  it('GET /admin/v1/mail pages newest first and needs the service key', async () => {
    const u = await signUp(t)
    await verificationMail(u.email)
    await recover(u.email)
    await recoveryMail(u.email)
    const page1 = await api().get('/admin/v1/mail').query({ to: u.email, limit: 1 }).set(bearer(t.serviceKey))
    expect(page1.body.mails).toHaveLength(1)
    expect(page1.body.mails[0].subject).toBe('Reset your password')
    expect(page1.body.nextCursor).toEqual(expect.any(String))
    const page2 = await api()
      .get('/admin/v1/mail')
      .query({ to: u.email, limit: 1, cursor: page1.body.nextCursor })
      .set(bearer(t.serviceKey))
    expect(page2.body.mails.map((m: { subject: string }) => m.subject)).toEqual([
      'Confirm your email address',
    ])
    expect(page2.body.nextCursor).toBeNull()
    expect((await api().get('/admin/v1/mail')).status).toBe(401)
    expect((await api().get('/admin/v1/mail').set(bearer(u.access))).status).toBe(403)
  })
})
