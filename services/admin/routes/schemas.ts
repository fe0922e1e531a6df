/** JSON schemas shared by the admin routes (`as const`, so the type provider infers handler types). */

export const errorResponse = { $ref: 'Error#' } as const

export const roleField = { type: 'string', enum: ['owner', 'developer', 'viewer'] } as const
// Loose where the service checks with a precise code: a short password answers `auth/weak-password`
// (422) and a malformed email `request/invalid`, as in the auth service.
export const emailField = { type: 'string', minLength: 1, maxLength: 320 } as const
export const passwordField = { type: 'string', maxLength: 4096 } as const

export const adminSchema = {
  type: 'object',
  required: ['id', 'email', 'role', 'mfa', 'lastSignInAt', 'createdAt', 'updatedAt'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    email: { type: 'string' },
    role: roleField,
    mfa: { type: 'boolean', description: 'a verified TOTP factor guards sign-in' },
    lastSignInAt: { type: ['string', 'null'], format: 'date-time' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const

export const adminResponse = {
  type: 'object',
  required: ['admin'],
  additionalProperties: false,
  properties: { admin: adminSchema },
} as const

export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 128 } },
} as const
