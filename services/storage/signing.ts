import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { StratusError } from '../core/errors.ts'
import type { Sql } from '../db/database.ts'

/** The `project_settings` row holding the signing secret. */
const SETTING_KEY = 'storage.url_signing_secret'

/** The query parameters of a signed URL. */
export interface UrlSignature {
  /** Unix seconds after which the URL stops working. */
  expires: number
  /** base64url HMAC-SHA256 of method, bucket, key and expiry. */
  signature: string
}

const invalid = (message: string) => new StratusError('storage/invalid-signature', message)

/**
 * Signs and checks object URLs: HMAC-SHA256 over `method \n bucket \n key \n expires` (none of them can
 * hold a newline) with the project's secret. The secret is created on first use in `project_settings`,
 * so every node shares it; it is read once per process and cached.
 */
export class UrlSigner {
  private readonly db: Sql
  private secret: Promise<Buffer> | undefined

  constructor(db: Sql) {
    this.db = db
  }

  private key(): Promise<Buffer> {
    this.secret ??= this.loadSecret().catch((error) => {
      this.secret = undefined
      throw error
    })
    return this.secret
  }

  private async loadSecret(): Promise<Buffer> {
    const read = async () =>
      (
        await this.db.query<{ value: unknown }>('SELECT value FROM project_settings WHERE key = $1', [
          SETTING_KEY,
        ])
      )[0]?.value
    let value = await read()
    if (typeof value !== 'string') {
      // Two nodes may race here: the first insert wins and both read it back.
      await this.db.query(
        `INSERT INTO project_settings (key, value, updated_at) VALUES ($1, to_jsonb($2::text), now())
         ON CONFLICT (key) DO NOTHING`,
        [SETTING_KEY, randomBytes(32).toString('base64url')],
      )
      value = await read()
    }
    if (typeof value !== 'string') throw new Error('The URL signing secret could not be stored')
    return Buffer.from(value, 'base64url')
  }

  private static payload(method: string, bucket: string, key: string, expires: number): string {
    return `${method}\n${bucket}\n${key}\n${expires}`
  }

  /** Signs a `method` on one object until `expires` (unix seconds). */
  async sign(method: string, bucket: string, key: string, expires: number): Promise<UrlSignature> {
    const mac = createHmac('sha256', await this.key())
      .update(UrlSigner.payload(method, bucket, key, expires))
      .digest('base64url')
    return { expires, signature: mac }
  }

  /**
   * Checks a URL's `expires` and `signature` parameters for `method` on one object (constant-time):
   * throws `storage/invalid-signature` if they were altered, belong to another object or have expired.
   */
  async verify(
    method: string,
    bucket: string,
    key: string,
    expires: string | undefined,
    signature: string | undefined,
  ): Promise<void> {
    if (!expires || !/^\d{1,12}$/.test(expires) || !signature) throw invalid('The signed URL is malformed')
    const at = Number(expires)
    const expected = createHmac('sha256', await this.key())
      .update(UrlSigner.payload(method, bucket, key, at))
      .digest('base64url')
    // Compared as text: base64url decoding ignores a last character's spare bits, which would let an
    // altered signature through.
    const given = Buffer.from(signature)
    const wanted = Buffer.from(expected)
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted))
      throw invalid('The URL signature does not match')
    // Checked after the signature, so the answer says nothing about URLs we did not sign.
    if (at * 1000 <= Date.now()) throw invalid('The signed URL has expired')
  }
}
