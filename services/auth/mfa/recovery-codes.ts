import { randomInt } from 'node:crypto'
import { hashToken } from '../users.ts'

/** How many codes a set holds. */
export const RECOVERY_CODE_COUNT = 10
// No 0/o, 1/l/i: codes are read off paper and typed back.
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'
const LENGTH = 10

/** A fresh set of codes, shown once as `xxxxx-xxxxx` (10 characters of a 31-letter alphabet ≈ 50 bits). */
export function newRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    let code = ''
    for (let i = 0; i < LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)]
    return `${code.slice(0, 5)}-${code.slice(5)}`
  })
}

/**
 * The stored form of a code: sha256 of its normalised text (case, dashes and spaces ignored). Random
 * codes of this length need no slow hash: there is no dictionary to try.
 */
export function hashRecoveryCode(code: string): string {
  return hashToken(code.toLowerCase().replace(/[\s-]/g, ''))
}
