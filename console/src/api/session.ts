import { api } from './http.ts'

export type AdminRole = 'owner' | 'developer' | 'viewer'

/** The signed-in admin, as `GET /admin/v1/session` describes it. */
export interface Admin {
  id: string
  email: string
  role: AdminRole
  /** A verified TOTP factor guards sign-in. */
  mfa: boolean
  lastSignInAt: string | null
  createdAt: string
  updatedAt: string
}

/** Who is signed in: an admin, or null when there is no session (the sign-in page shows). */
export async function currentAdmin(): Promise<Admin | null> {
  try {
    const { admin } = await api<{ admin: Admin | null }>('GET', '/admin/v1/session')
    return admin
  } catch (error) {
    if ((error as { status?: number }).status === 401) return null
    throw error
  }
}

/** Signs in with email, password and (when the admin enrolled TOTP) a code; the server sets the cookies. */
export async function signIn(input: { email: string; password: string; code?: string }): Promise<void> {
  await api<unknown>('POST', '/admin/v1/session', { body: input })
}

export async function signOut(): Promise<void> {
  await api<void>('DELETE', '/admin/v1/session')
}

/** What a role may do, mirroring the server's checks (services/gateway/admin-access.ts) to hide controls. */
export function canWrite(admin: Admin | null | undefined): boolean {
  return admin?.role === 'owner' || admin?.role === 'developer'
}

export function isOwner(admin: Admin | null | undefined): boolean {
  return admin?.role === 'owner'
}
