import { randomBytes } from 'node:crypto'
import type { JWK } from 'jose'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { embeddedKeyPath, isSealed, openSecretBox, type SecretBox } from '../../services/auth/secret-box.ts'
import { SigningKeys } from '../../services/auth/signing-keys.ts'
import { deploy, service } from '../functions/helpers.ts'
import { uniqueName } from '../support/lanes.ts'
import { LANES, type TestPlatform, usePlatform } from '../support/platform.ts'
import { bearer, NO_RATE_LIMITS, signUp } from './helpers.ts'

/** The box the platform encrypts with (the configured key, or the embedded key file). */
function boxOf(t: TestPlatform): SecretBox {
  return openSecretBox({
    key: t.platform.config.auth.encryptionKey,
    generatedKeyFile: t.lane === 'embedded' ? embeddedKeyPath(t.env.STRATUS_DATA_DIR!) : undefined,
  })
}

const SECRET = `sk_live_${randomBytes(12).toString('hex')}`

// Signing keys' private halves and functions' env values are encrypted in the database; what reads
// them (token signing, the functions) still works, and rows written in plaintext before are read and
// then encrypted at start.
describe.each(LANES)('secrets at rest (%s lane)', (lane) => {
  const t = usePlatform(lane, {
    ...NO_RATE_LIMITS,
    // A shared database needs a configured key; the embedded lane generates its own.
    ...(lane === 'real' ? { AUTH_ENCRYPTION_KEY: randomBytes(32).toString('base64') } : {}),
  })

  it('stores signing keys encrypted and still signs tokens that verify', async () => {
    const rows = await t.platform.db.query<{
      kid: string
      private_jwk: unknown
      raw: string
      public_jwk: JWK
    }>('SELECT kid, private_jwk, private_jwk::text AS raw, public_jwk FROM signing_keys')
    expect(rows.length).toBeGreaterThan(0)
    for (const row of rows) {
      expect(isSealed(row.private_jwk), row.raw).toBe(true)
      expect(row.raw).not.toMatch(/"d"\s*:/)
      // It opens in its own row, to the private half of the public key beside it.
      const jwk = JSON.parse(
        boxOf(t).decrypt((row.private_jwk as { $sealed: string }).$sealed, `signing-key:${row.kid}`),
      )
      expect(jwk).toMatchObject({
        kid: row.kid,
        x: row.public_jwk.x,
        y: row.public_jwk.y,
        d: expect.any(String),
      })
      expect(() =>
        boxOf(t).decrypt((row.private_jwk as { $sealed: string }).$sealed, 'signing-key:other'),
      ).toThrow()
    }
    const user = await signUp(t)
    expect((await request(t.url).get('/auth/v1/user').set(bearer(user.access))).status).toBe(200)
    // A rotation stores the new key encrypted too.
    await t.platform.keys.rotate()
    const plain = await t.platform.db.query(
      `SELECT kid FROM signing_keys WHERE NOT (private_jwk ? '$sealed') OR private_jwk::text LIKE '%"d":%'`,
    )
    expect(plain).toEqual([])
  })

  it('reads a key stored in plaintext before, and encrypts it at the next start', async () => {
    const [row] = await t.platform.db.query<{ kid: string; private_jwk: { $sealed: string } }>(
      'SELECT kid, private_jwk FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1',
    )
    const jwk = boxOf(t).decrypt(row!.private_jwk.$sealed, `signing-key:${row!.kid}`)
    // As a release before this one stored it.
    await t.platform.db.query('UPDATE signing_keys SET private_jwk = $2::jsonb WHERE kid = $1', [
      row!.kid,
      jwk,
    ])
    // A node without the key reads it as it is, and signs with it.
    const { keys: old } = await SigningKeys.open(t.platform.db)
    const token = await old.sign({ sub: 'legacy', role: 'authenticated' }, 60)
    expect((await t.platform.keys.verify(token)).uid).toBe('legacy')
    // A node with the key encrypts it at start, and tokens signed before still verify.
    const { keys: next } = await SigningKeys.open(t.platform.db, { secrets: boxOf(t) })
    const [after] = await t.platform.db.query<{ private_jwk: unknown }>(
      'SELECT private_jwk FROM signing_keys WHERE kid = $1',
      [row!.kid],
    )
    expect(isSealed(after!.private_jwk)).toBe(true)
    expect((await next.verify(token)).uid).toBe('legacy')
    expect(await next.sealStored()).toBe(0)
  })

  it('stores function env values encrypted; the function still sees them; no route shows them', async () => {
    const name = uniqueName('envfn')
      .replace(/[^A-Za-z0-9_-]/g, '-')
      .toLowerCase()
    const code = 'export default async (event, ctx) => ({ token: ctx.env.API_TOKEN, region: ctx.env.REGION })'
    const v1 = await deploy(t, name, {
      code,
      env: { API_TOKEN: SECRET, REGION: 'eu-west' },
      triggers: [{ type: 'http' }],
    })
    const call = await request(t.url).post(`/functions/v1/${name}`).set(service(t)).send({})
    expect(call.status, JSON.stringify(call.body)).toBe(200)
    expect(call.body).toEqual({ token: SECRET, region: 'eu-west' })

    const rows = await t.platform.db.query<{ env: unknown; raw: string }>(
      'SELECT env, env::text AS raw FROM function_versions WHERE function_name = $1',
      [name],
    )
    expect(rows).toHaveLength(1)
    expect(isSealed(rows[0]!.env), rows[0]!.raw).toBe(true)
    expect(rows[0]!.raw).not.toContain(SECRET)
    expect(rows[0]!.raw).not.toContain('eu-west')

    // Write-only: a redeploy keeping the value with the mask, then every read route.
    const v2 = await deploy(t, name, {
      code,
      env: { API_TOKEN: '••••', REGION: 'us-east' },
      triggers: [{ type: 'http' }],
    })
    const again = await request(t.url).post(`/functions/v1/${name}`).set(service(t)).send({})
    expect(again.body).toEqual({ token: SECRET, region: 'us-east' })
    const get = (path: string) => request(t.url).get(path).set(service(t))
    const reads: [string, Promise<request.Response>][] = [
      ['list', get('/admin/v1/functions')],
      ['get', get(`/admin/v1/functions/${name}`)],
      ['versions', get(`/admin/v1/functions/${name}/versions`)],
      ['version', get(`/admin/v1/functions/${name}/versions/${v1}`)],
      ['compare', get(`/admin/v1/functions/${name}/versions/${v2}?compareTo=${v1}`)],
      [
        'rollback',
        request(t.url).post(`/admin/v1/functions/${name}/rollback`).set(service(t)).send({ version: v1 }),
      ],
      ['executions', get(`/admin/v1/functions/${name}/executions`)],
      ['audit', get('/admin/v1/audit')],
    ]
    for (const [route, pending] of reads) {
      const res = await pending
      expect(res.status, `${route}: ${JSON.stringify(res.body)}`).toBeLessThan(300)
      expect(JSON.stringify(res.body), route).not.toContain(SECRET)
    }
  })

  it('reads env stored in plaintext before, and encrypts it at start', async () => {
    const name = uniqueName('legacyenv')
      .replace(/[^A-Za-z0-9_-]/g, '-')
      .toLowerCase()
    const version = await deploy(t, name, {
      code: 'export default async (event, ctx) => ctx.env.LEGACY',
      env: { LEGACY: SECRET },
      triggers: [{ type: 'http' }],
    })
    // As a release before this one stored it.
    await t.platform.db.query(
      'UPDATE function_versions SET env = $3::jsonb WHERE function_name = $1 AND version = $2',
      [name, version, JSON.stringify({ LEGACY: SECRET })],
    )
    const store = t.platform.functions.store
    expect((await store.version(name, version))?.env).toEqual({ LEGACY: SECRET })
    expect(await store.sealStoredEnv()).toBeGreaterThanOrEqual(1)
    const [row] = await t.platform.db.query<{ env: unknown; raw: string }>(
      'SELECT env, env::text AS raw FROM function_versions WHERE function_name = $1',
      [name],
    )
    expect(isSealed(row!.env)).toBe(true)
    expect(row!.raw).not.toContain(SECRET)
    expect((await store.version(name, version))?.env).toEqual({ LEGACY: SECRET })
    expect(await store.sealStoredEnv()).toBe(0)
  })
})
