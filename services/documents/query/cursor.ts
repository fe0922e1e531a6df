import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'
import { StratusError } from '../../core/errors.ts'

/**
 * Keyset cursors: the last row's value of every order field (sort keys, id, timestamps) and a
 * fingerprint of the order, sealed with AES-256-GCM and base64url-encoded. Opaque to clients, and
 * sealed rather than merely encoded because a page filtered by a read rule may end on a row the caller
 * cannot read: its position must not reveal its values. A cursor continues only the order it came from.
 */
export class CursorCodec {
  private readonly key: Buffer

  /** `secret`: 32 random bytes, shared by every node (kept in project_settings). */
  constructor(secret: Buffer) {
    if (secret.length !== 32) throw new Error('the cursor secret must be 32 bytes')
    this.key = secret
  }

  /** Seals a position (`values`, one per order field) in the order named by `signature`. */
  encode(signature: string, values: readonly string[]): string {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.key, iv)
    const plain = JSON.stringify([fingerprint(signature), ...values])
    const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
    return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url')
  }

  /** Opens a cursor made by `encode` for the same order, or throws `db/invalid-query`. */
  decode(signature: string, cursor: string, fields: number): string[] {
    const bad = (why: string) => new StratusError('db/invalid-query', `Invalid cursor: ${why}`)
    const raw = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url') : Buffer.alloc(0)
    if (raw.length < 29) throw bad('it was not issued by this server')
    let parsed: unknown
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12))
      decipher.setAuthTag(raw.subarray(12, 28))
      const plain = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()])
      parsed = JSON.parse(plain.toString('utf8'))
    } catch {
      throw bad('it was not issued by this server')
    }
    if (!Array.isArray(parsed) || parsed.some((v) => typeof v !== 'string')) throw bad('malformed')
    const [mark, ...values] = parsed as string[]
    if (mark !== fingerprint(signature) || values.length !== fields) {
      throw bad('it belongs to a query with a different orderBy')
    }
    return values
  }
}

function fingerprint(signature: string): string {
  return createHash('sha256').update(signature).digest('base64url').slice(0, 11)
}
