/** What stands in for a redacted value. */
export const REDACTED = '[redacted]'

// Field names whose values are credentials wherever they appear: passwords, OAuth client secrets,
// tokens (refresh, session, service), private keys, and the codes of a TOTP sign-in.
const SECRET_KEY = /pass(word)?|secret|token|private|^code$|^key$|service/i

/**
 * A copy of `value` fit for the audit log: the values of secret-looking fields become `[redacted]`, and
 * so does every value of an `env` object (a function's environment holds API keys by design), keeping
 * its names. A function's `code` (its source, an object field of the deploy body with no digits-only
 * value) is not a secret: only a string of digits under `code` is redacted (a TOTP code).
 */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 32) return REDACTED
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1))
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    if (key === 'env' && item !== null && typeof item === 'object' && !Array.isArray(item)) {
      out[key] = Object.fromEntries(Object.keys(item).map((name) => [name, REDACTED]))
    } else if (key === 'code') {
      out[key] =
        typeof item === 'string' && /^\s*\d{1,12}\s*$/.test(item) ? REDACTED : redact(item, depth + 1)
    } else if (SECRET_KEY.test(key) && item !== undefined && item !== null && typeof item !== 'boolean') {
      out[key] = REDACTED
    } else {
      out[key] = redact(item, depth + 1)
    }
  }
  return out
}
