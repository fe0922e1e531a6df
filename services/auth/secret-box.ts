import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { StratusError } from '../core/errors.ts'

/**
 * Encrypts the secrets auth must read back (OAuth client secrets, TOTP secrets) with AES-256-GCM,
 * straight from node:crypto: an authenticated cipher in a dozen lines needs no library, and none of
 * the wrappers (iron, jose's JWE) would add anything but a format. Each value is bound to a context
 * string (`provider:github`, `factor:<id>`) as additional authenticated data, so a ciphertext copied
 * into another row does not decrypt there.
 *
 * Stored form: `v1.<iv>.<ciphertext><tag>` (base64url; 12-byte random IV, 16-byte tag).
 */
export interface SecretBox {
  /** True when a key is available (configured, or generated in embedded mode). */
  readonly available: boolean
  encrypt(plaintext: string, context: string): string
  decrypt(stored: string, context: string): string
}

const VERSION = 'v1'
const IV_BYTES = 12
const TAG_BYTES = 16

/** Where the embedded mode keeps its generated key. */
export function embeddedKeyPath(dataDir: string): string {
  return path.join(dataDir, 'keys', 'auth-encryption.key')
}

/** The options of `openSecretBox`. */
export interface SecretBoxOptions {
  /** Base64 of a 32-byte key (AUTH_ENCRYPTION_KEY). */
  key?: string
  /**
   * Embedded mode: with no configured key, read (or create on first use) a key file here. Never for a
   * shared database: the key would sit beside the secrets it protects, or differ between nodes.
   */
  generatedKeyFile?: string
}

/**
 * A box on the configured key, or on the embedded key file, or one that refuses to store secrets
 * (`auth/…` calls that need it fail with a message naming AUTH_ENCRYPTION_KEY).
 */
export function openSecretBox(options: SecretBoxOptions): SecretBox {
  if (options.key) return new AesGcmBox(decodeKey(options.key))
  if (options.generatedKeyFile) {
    const file = options.generatedKeyFile
    let key: Buffer | undefined
    // The key file is created on first use, so that a project without OAuth or MFA never gets one.
    return new AesGcmBox(() => {
      key ??= readOrCreateKey(file)
      return key
    })
  }
  return new MissingKeyBox()
}

function decodeKey(base64: string): Buffer {
  const key = Buffer.from(base64, 'base64')
  if (key.length !== 32) throw new Error('the encryption key must be 32 bytes')
  return key
}

function readOrCreateKey(file: string): Buffer {
  try {
    return decodeKey(readFileSync(file, 'utf8').trim())
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
  const key = randomBytes(32)
  try {
    // `wx`: if another start raced us to it, keep theirs.
    writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' })
    return key
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    return decodeKey(readFileSync(file, 'utf8').trim())
  }
}

class AesGcmBox implements SecretBox {
  readonly available = true
  private readonly key: () => Buffer

  constructor(key: Buffer | (() => Buffer)) {
    this.key = typeof key === 'function' ? key : () => key
  }

  encrypt(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.key(), iv)
    cipher.setAAD(Buffer.from(context, 'utf8'))
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()])
    return `${VERSION}.${iv.toString('base64url')}.${body.toString('base64url')}`
  }

  decrypt(stored: string, context: string): string {
    const [version, ivText, bodyText] = stored.split('.')
    if (version !== VERSION || !ivText || !bodyText) throw undecryptable(context)
    const iv = Buffer.from(ivText, 'base64url')
    const body = Buffer.from(bodyText, 'base64url')
    if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw undecryptable(context)
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key(), iv)
      decipher.setAAD(Buffer.from(context, 'utf8'))
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES))
      return Buffer.concat([
        decipher.update(body.subarray(0, body.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8')
    } catch (error) {
      throw undecryptable(context, error)
    }
  }
}

/**
 * A secret as a JSON column stores it once encrypted: `{"$sealed": "v1.…"}`. A JSON column may hold
 * the plaintext value (rows written before encryption, or without a key) or this, and readers accept
 * both; no plaintext value of ours is an object with this one key.
 */
export interface Sealed {
  $sealed: string
}

/** True when a JSON column's value is sealed. */
export function isSealed(value: unknown): value is Sealed {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>).$sealed === 'string' &&
    Object.keys(value).length === 1
  )
}

/** Encrypts `plaintext` for a JSON column, bound to `context`. */
export function seal(box: SecretBox, plaintext: string, context: string): Sealed {
  return { $sealed: box.encrypt(plaintext, context) }
}

/** Decrypts a sealed JSON value (throws `service/unavailable` with a wrong key or context). */
export function unseal(box: SecretBox, value: Sealed, context: string): string {
  return box.decrypt(value.$sealed, context)
}

/** A wrong key (AUTH_ENCRYPTION_KEY changed since the secret was stored) or a damaged value. */
function undecryptable(context: string, cause?: unknown): StratusError {
  return new StratusError(
    'service/unavailable',
    `A stored secret (${context}) cannot be decrypted: was AUTH_ENCRYPTION_KEY changed? Store it again`,
    { cause },
  )
}

class MissingKeyBox implements SecretBox {
  readonly available = false

  encrypt(): string {
    throw missingKey()
  }

  decrypt(): string {
    throw missingKey()
  }
}

function missingKey(): StratusError {
  return new StratusError(
    'service/unavailable',
    'Set AUTH_ENCRYPTION_KEY (32 bytes, base64) to store OAuth client secrets and MFA secrets',
  )
}
