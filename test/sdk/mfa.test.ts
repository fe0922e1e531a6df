import { randomBytes } from 'node:crypto'
import type { AuthChangeEvent } from '@stratus/sdk'
import { decodeJwt } from 'jose'
import { Secret, TOTP } from 'otpauth'
import { describe, expect, it } from 'vitest'
import { eventually } from '../support/lanes.ts'
import { LANES, usePlatform } from '../support/platform.ts'
import { admin, client, failure, SDK_TEST_ENV, unique } from './helpers.ts'

const aal = (token: string) => decodeJwt(token).aal

describe.each(LANES)('SDK MFA (%s)', (lane) => {
  // With Postgres, TOTP secrets need an encryption key from the configuration (embedded mode makes one).
  const t = usePlatform(lane, {
    ...SDK_TEST_ENV,
    ...(lane === 'real' ? { AUTH_ENCRYPTION_KEY: randomBytes(32).toString('base64') } : {}),
  })

  it('enrolls TOTP, reaches aal2 with a code or a recovery code, and a rule requiring aal2 follows', async () => {
    const vault = unique('vault')
    await admin(t, 'PUT', `/admin/v1/collections/${vault}`, {
      rules: { read: 'auth != null', create: "auth != null && auth.claims.aal == 'aal2'" },
    })
    const app = client(t)
    const events: AuthChangeEvent[] = []
    app.auth.onAuthStateChange((event) => events.push(event))
    const email = `${unique('mfa')}@example.com`
    const { session: first } = await app.auth.signUp({ email, password: 'correct horse battery' })
    expect(aal(first.access_token)).toBe('aal1')

    const enrollment = await app.auth.mfa.enroll()
    expect(enrollment.uri).toMatch(/^otpauth:\/\/totp\//)
    const code = new TOTP({ secret: Secret.fromBase32(enrollment.secret) }).generate()
    const wrong = await failure(app.auth.mfa.verify(enrollment.id, code === '000000' ? '111111' : '000000'))
    expect(wrong.status).toBe(400)
    const verified = await app.auth.mfa.verify(enrollment.id, code)
    expect(aal(verified.session.access_token)).toBe('aal2')
    expect(verified.recoveryCodes?.length).toBeGreaterThan(0)
    expect((await app.auth.getSession())?.access_token).toBe(verified.session.access_token)
    expect((await app.auth.getSession())?.user?.email).toBe(email)
    await eventually(() => events.includes('MFA_CHALLENGE_VERIFIED'))
    expect((await app.auth.mfa.listFactors()).map((f) => f.status)).toEqual(['verified'])
    await app.db.collection(vault).add({ secret: 1 })

    // A new sign-in starts at aal1: the rule refuses until a second factor is shown.
    await app.auth.signOut()
    const again = await app.auth.signInWithPassword({ email, password: 'correct horse battery' })
    expect(aal(again.session.access_token)).toBe('aal1')
    expect((await failure(app.db.collection(vault).add({ secret: 2 }))).code).toBe('auth/forbidden')
    const recovered = await app.auth.mfa.verifyRecoveryCode(verified.recoveryCodes![0]!)
    expect(aal(recovered.session.access_token)).toBe('aal2')
    await app.db.collection(vault).add({ secret: 2 })
    expect((await failure(app.auth.mfa.verifyRecoveryCode(verified.recoveryCodes![0]!))).status).toBe(400)

    const codes = await app.auth.mfa.regenerateRecoveryCodes()
    expect(codes.length).toBeGreaterThan(0)
    await app.auth.mfa.unenroll(enrollment.id)
    expect(await app.auth.mfa.listFactors()).toEqual([])
    app.close()
  })
})
