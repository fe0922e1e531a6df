import { type Algorithm, hash, verify } from '@node-rs/argon2'
import { StratusError } from '../core/errors.ts'

/**
 * argon2id with OWASP's first recommended profile (Password Storage Cheat Sheet): 19 MiB of memory,
 * 2 passes, 1 lane, a 16-byte random salt and a 32-byte tag. About 25-40 ms per hash on one core of
 * these machines; hashes run on libuv's thread pool, off the event loop. The parameters are stored in
 * each PHC string, so raising them later still verifies old hashes.
 */
export const ARGON2_OPTIONS = {
  algorithm: 2 as Algorithm, // Algorithm.Argon2id (a const enum: not importable as a value here)
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
  outputLen: 32,
} as const

/** Shortest password accepted (API.md: fewer characters → `auth/weak-password`). */
export const MIN_PASSWORD_LENGTH = 8
/** Longest password accepted: bounds the work a single request can ask for. */
export const MAX_PASSWORD_LENGTH = 1024

/** Throws `auth/weak-password` for a password too short (or too long) to accept. */
export function checkPasswordStrength(password: string): void {
  if ([...password].length < MIN_PASSWORD_LENGTH) {
    throw new StratusError(
      'auth/weak-password',
      `The password must be at least ${MIN_PASSWORD_LENGTH} characters long`,
    )
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new StratusError(
      'auth/weak-password',
      `The password must be at most ${MAX_PASSWORD_LENGTH} characters long`,
    )
  }
}

/** The argon2id PHC string of `password`. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS)
}

/**
 * Hashes and verifies passwords, spending the same work whether or not an account (or its password)
 * exists: a sign-in for an unknown email verifies against a decoy hash of the same parameters, so the
 * answer's timing does not reveal which emails have accounts.
 */
export class PasswordHasher {
  private readonly decoy: string

  private constructor(decoy: string) {
    this.decoy = decoy
  }

  static async create(): Promise<PasswordHasher> {
    return new PasswordHasher(await hashPassword(`decoy-${Math.random()}`))
  }

  hash(password: string): Promise<string> {
    return hashPassword(password)
  }

  /** True when `password` matches `phc`; with no `phc`, spends a verification and returns false. */
  async verify(phc: string | null | undefined, password: string): Promise<boolean> {
    try {
      const ok = await verify(phc ?? this.decoy, password)
      return ok && typeof phc === 'string'
    } catch {
      // A malformed stored hash must not become a 500 or a shortcut: treat it as a mismatch.
      return false
    }
  }
}
