/**
 * JSON schemas shared by the auth routes (`as const`, so the type provider infers handler types).
 * Response schemas are allow-lists: fastify's serializer drops any field they do not name, a second
 * guard (after `toUser`) against a hash ever reaching a client.
 */

export const identitySchema = {
  type: 'object',
  required: ['id', 'provider', 'email', 'createdAt', 'lastSignInAt'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    provider: { type: 'string' },
    email: { type: ['string', 'null'], description: 'as the provider gave it, verified or not' },
    createdAt: { type: 'string', format: 'date-time' },
    lastSignInAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const

export const factorSchema = {
  type: 'object',
  required: ['id', 'type', 'status', 'createdAt'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    type: { type: 'string', enum: ['totp'] },
    status: { type: 'string', enum: ['unverified', 'verified'] },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const

/** A TOTP enrolment as it is shown, once: app users' and admins' alike. */
export const totpEnrollmentSchema = {
  type: 'object',
  required: ['id', 'type', 'secret', 'uri'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    type: { type: 'string', enum: ['totp'] },
    secret: { type: 'string', description: 'base32, for manual entry' },
    uri: { type: 'string', description: 'otpauth://totp/… for a QR code' },
  },
} as const

export const userSchema = {
  type: 'object',
  required: ['id', 'email', 'anonymous', 'data', 'identities', 'factors', 'createdAt', 'updatedAt'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    email: { type: ['string', 'null'] },
    anonymous: { type: 'boolean' },
    data: { type: 'object', additionalProperties: true },
    identities: { type: 'array', items: identitySchema, description: 'linked OAuth/OIDC accounts' },
    factors: { type: 'array', items: factorSchema, description: 'MFA factors' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const

export const adminUserSchema = {
  type: 'object',
  required: [...userSchema.required, 'disabled', 'emailVerified', 'lastSignInAt'],
  additionalProperties: false,
  properties: {
    ...userSchema.properties,
    disabled: { type: 'boolean' },
    emailVerified: { type: 'boolean' },
    lastSignInAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const

export const sessionSchema = {
  type: 'object',
  required: ['access_token', 'refresh_token', 'token_type', 'expires_in', 'expires_at'],
  additionalProperties: false,
  properties: {
    access_token: { type: 'string' },
    refresh_token: { type: 'string' },
    token_type: { type: 'string', enum: ['bearer'] },
    expires_in: { type: 'integer', description: 'seconds the access token lives' },
    expires_at: { type: 'integer', description: 'unix seconds at which the access token expires' },
  },
} as const

export const userAndSessionSchema = {
  type: 'object',
  required: ['user', 'session'],
  additionalProperties: false,
  properties: { user: userSchema, session: sessionSchema },
} as const

export const userResponseSchema = {
  type: 'object',
  required: ['user'],
  additionalProperties: false,
  properties: { user: userSchema },
} as const

// Validation is loose where the service checks with a precise error code: a short password answers
// `auth/weak-password` (422), not a schema error; a malformed email answers `request/invalid`.
export const emailField = { type: 'string', minLength: 1, maxLength: 320 } as const
export const passwordField = { type: 'string', maxLength: 4096 } as const
export const dataField = {
  type: 'object',
  additionalProperties: true,
  description: 'the user’s own profile data (free-form JSON object)',
} as const

/** The error envelope, for every 4xx a route documents. */
export const errorResponse = { $ref: 'Error#' } as const

/** `Authorization: Bearer`, for the OpenAPI document. */
export const bearerSecurity = [{ bearer: [] }]
