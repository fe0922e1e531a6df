import { describe, expect, it } from 'vitest'
import { isStratusError } from '../core/errors.ts'
import { checkPasswordStrength, hashPassword, PasswordHasher } from './passwords.ts'

describe('passwords', () => {
  it('hashes with argon2id and the documented parameters, salted', async () => {
    const a = await hashPassword('correct horse')
    const b = await hashPassword('correct horse')
    expect(a).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    expect(a).not.toBe(b)
  })

  it('verifies the right password only; a missing or malformed hash is a mismatch', async () => {
    const hasher = await PasswordHasher.create()
    const phc = await hasher.hash('correct horse')
    expect(await hasher.verify(phc, 'correct horse')).toBe(true)
    expect(await hasher.verify(phc, 'wrong horse')).toBe(false)
    expect(await hasher.verify(undefined, 'correct horse')).toBe(false)
    expect(await hasher.verify(null, '')).toBe(false)
    expect(await hasher.verify('not a hash', 'correct horse')).toBe(false)
  })

  it.each([
    ['', false],
    ['seven77', false],
    ['eight888', true],
    ['✓✓✓✓✓✓✓✓', true],
    ['x'.repeat(1024), true],
    ['x'.repeat(1025), false],
  ])('strength of a %#th password: ok=%s', (password, ok) => {
    let error: unknown
    try {
      checkPasswordStrength(password)
    } catch (e) {
      error = e
    }
    expect(error === undefined).toBe(ok)
    if (!ok) expect(isStratusError(error, 'auth/weak-password')).toBe(true)
  })
})
