import type { HttpClient } from './http.js'

/** A TOTP factor as the API lists it. */
export interface Factor {
  id: string
  type: 'totp'
  status: 'unverified' | 'verified'
  createdAt: string
}

/** What enrolling returns: the secret and `otpauth://` URI, shown once (render the URI as a QR code). */
export interface Enrollment {
  id: string
  type: 'totp'
  secret: string
  uri: string
}

/** An aal2 session from a code; `recoveryCodes` come once, with the first factor verified. */
export interface MfaAnswer<S> {
  session: S
  recoveryCodes?: string[]
}

type ApiAnswer = { session: Record<string, unknown> & { expires_in: number }; recoveryCodes?: string[] }

/**
 * `app.auth.mfa`: TOTP factors (API.md "MFA"). Verifying a code, or spending a recovery code, ends the
 * caller's session and starts one at `aal2`, which the auth client adopts (`MFA_CHALLENGE_VERIFIED`).
 */
export class MfaClient<S> {
  readonly #http: HttpClient
  readonly #adopt: (answer: ApiAnswer) => Promise<S>

  constructor(http: HttpClient, adopt: (answer: ApiAnswer) => Promise<S>) {
    this.#http = http
    this.#adopt = adopt
  }

  async listFactors(): Promise<Factor[]> {
    return (await this.#http.get<{ factors: Factor[] }>('/auth/v1/factors')).factors
  }

  /** Starts a TOTP factor; it counts once a code from it is verified. */
  enroll(): Promise<Enrollment> {
    return this.#http.post<Enrollment>('/auth/v1/factors', { type: 'totp' })
  }

  /** Verifies a code of `factorId`: the session moves to aal2. */
  async verify(factorId: string, code: string): Promise<MfaAnswer<S>> {
    const answer = await this.#http.post<ApiAnswer>(
      `/auth/v1/factors/${encodeURIComponent(factorId)}/verify`,
      {
        code,
      },
    )
    return this.#answer(answer)
  }

  /** Spends a recovery code in place of a TOTP code: the session moves to aal2. */
  async verifyRecoveryCode(code: string): Promise<MfaAnswer<S>> {
    return this.#answer(await this.#http.post<ApiAnswer>('/auth/v1/recovery-codes/verify', { code }))
  }

  /** A new set of recovery codes (the previous set stops working); needs aal2. */
  async regenerateRecoveryCodes(): Promise<string[]> {
    return (await this.#http.post<{ recoveryCodes: string[] }>('/auth/v1/recovery-codes')).recoveryCodes
  }

  /** Removes a factor; needs aal2. */
  async unenroll(factorId: string): Promise<void> {
    await this.#http.delete(`/auth/v1/factors/${encodeURIComponent(factorId)}`)
  }

  async #answer(answer: ApiAnswer): Promise<MfaAnswer<S>> {
    const session = await this.#adopt(answer)
    return answer.recoveryCodes ? { session, recoveryCodes: answer.recoveryCodes } : { session }
  }
}
