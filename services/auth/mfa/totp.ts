import { Secret, TOTP } from 'otpauth'

/** RFC 6238 defaults, the only ones every authenticator app supports. */
const PERIOD_SECONDS = 30
const DIGITS = 6
const ALGORITHM = 'SHA1'
/** Codes of the previous and next 30-second step are accepted too (clock drift between phone and server). */
export const DRIFT_STEPS = 1

/** A new random TOTP secret (160 bits, as RFC 4226 recommends), base32. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32
}

/** The `otpauth://totp/…` URI authenticator apps read from a QR code. */
export function totpUri(options: { secret: string; issuer: string; label: string }): string {
  return totp(options.secret, options.issuer, options.label).toString()
}

/**
 * The 30-second step `code` belongs to (within ±DRIFT_STEPS of `now`), or undefined for a wrong code.
 * The caller makes the step single use (see `auth_factors.last_used_step`).
 */
export function matchTotp(secret: string, code: string, now = Date.now()): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined
  const generator = totp(secret, 'Stratus', 'factor')
  const delta = generator.validate({ token: code, timestamp: now, window: DRIFT_STEPS })
  if (delta === null) return undefined
  return generator.counter({ timestamp: now }) + delta
}

/** The code of the step at `now` (for tests and tools). */
export function totpCode(secret: string, now = Date.now()): string {
  return totp(secret, 'Stratus', 'factor').generate({ timestamp: now })
}

function totp(secret: string, issuer: string, label: string): TOTP {
  return new TOTP({
    issuer,
    label,
    algorithm: ALGORITHM,
    digits: DIGITS,
    period: PERIOD_SECONDS,
    secret: Secret.fromBase32(secret),
  })
}
