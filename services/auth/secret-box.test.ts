import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { embeddedKeyPath, isSealed, openSecretBox, seal, unseal } from './secret-box.ts'

describe('secret box (AES-256-GCM)', () => {
  const key = randomBytes(32).toString('base64')
  const dirs: string[] = []
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it('round-trips, with a fresh IV each time', () => {
    const box = openSecretBox({ key })
    const a = box.encrypt('client secret', 'provider:x')
    const b = box.encrypt('client secret', 'provider:x')
    expect(a).not.toBe(b)
    expect(a).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/)
    expect(box.decrypt(a, 'provider:x')).toBe('client secret')
  })

  it('refuses another context, another key and a damaged value', () => {
    const box = openSecretBox({ key })
    const stored = box.encrypt('s', 'provider:x')
    expect(() => box.decrypt(stored, 'provider:y')).toThrow(/AUTH_ENCRYPTION_KEY/)
    expect(() =>
      openSecretBox({ key: randomBytes(32).toString('base64') }).decrypt(stored, 'provider:x'),
    ).toThrow()
    const damaged = `${stored.slice(0, -2)}${stored.endsWith('A') ? 'B' : 'A'}${stored.slice(-1)}`
    expect(() => box.decrypt(damaged, 'provider:x')).toThrow()
    expect(() => box.decrypt('garbage', 'provider:x')).toThrow()
  })

  it('without a key (shared database) refuses to store, naming the variable', () => {
    const box = openSecretBox({})
    expect(box.available).toBe(false)
    expect(() => box.encrypt('s', 'c')).toThrow(/AUTH_ENCRYPTION_KEY/)
  })

  it('embedded mode creates its key file on first use only (0600), and reuses it', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stratus-secret-box-'))
    dirs.push(dir)
    const file = embeddedKeyPath(dir)
    const box = openSecretBox({ generatedKeyFile: file })
    expect(() => statSync(file)).toThrow()
    const stored = box.encrypt('s', 'c')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')).toHaveLength(32)
    expect(openSecretBox({ generatedKeyFile: file }).decrypt(stored, 'c')).toBe('s')
  })

  it('seals JSON column values, told apart from plaintext ones', () => {
    const box = openSecretBox({ key })
    const sealed = seal(box, '{"API":"x"}', 'function-env:f:1')
    expect(isSealed(sealed)).toBe(true)
    expect(JSON.stringify(sealed)).not.toContain('API')
    expect(unseal(box, sealed, 'function-env:f:1')).toBe('{"API":"x"}')
    expect(() => unseal(box, sealed, 'function-env:f:2')).toThrow()
    // Plaintext values as older rows hold them: env objects, JWKs.
    for (const plain of [
      {},
      { API: 'x' },
      { kty: 'EC', d: 'abc' },
      { $sealed: 'v1.a.b', more: 1 },
      null,
      'v1.a.b',
    ])
      expect(isSealed(plain)).toBe(false)
  })
})
