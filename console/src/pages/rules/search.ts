import { SIMULATED_OPERATIONS, type SimulatedOperation } from '../../api/rules.ts'

export const AUTH_MODES = ['anonymous', 'user', 'claims'] as const
export type AuthMode = (typeof AUTH_MODES)[number]

/**
 * The simulator's form, as the URL holds it: a link reproduces a simulation. JSON inputs (claims,
 * request data, an assumed stored document) are kept as the text the admin typed.
 */
export interface SimulatorSearch {
  target?: 'document' | 'object'
  /** The collection (target document) or bucket (target object). */
  collection?: string
  bucket?: string
  /** The document id or object key. */
  id?: string
  key?: string
  operation?: SimulatedOperation
  auth?: AuthMode
  /** With auth "user": the user's id, and the email shown for it. */
  uid?: string
  email?: string
  /** With auth "claims" (or extra claims for a user): a JSON object. */
  claims?: string
  /** `request.data`: a JSON object. */
  data?: string
  /** The stored document or object to assume instead of the one at id/key: a JSON object. */
  existing?: string
}

const text = (value: unknown): string | undefined => {
  if (typeof value === 'string') return value === '' ? undefined : value
  // The router reads values as JSON: an id like 42 arrives as a number, a JSON text as an object.
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return undefined
}
const json = (value: unknown): string | undefined =>
  typeof value === 'object' && value !== null ? JSON.stringify(value, null, 2) : text(value)

/** `validateSearch` of /rules: keeps what is well formed, drops the rest. */
export function simulatorSearch(raw: Record<string, unknown>): SimulatorSearch {
  const search: SimulatorSearch = {}
  if (raw.target === 'document' || raw.target === 'object') search.target = raw.target
  if ((SIMULATED_OPERATIONS as readonly unknown[]).includes(raw.operation))
    search.operation = raw.operation as SimulatedOperation
  if ((AUTH_MODES as readonly unknown[]).includes(raw.auth)) search.auth = raw.auth as AuthMode
  for (const field of ['collection', 'bucket', 'id', 'key', 'uid', 'email'] as const) {
    const value = text(raw[field])
    if (value !== undefined) search[field] = value
  }
  for (const field of ['claims', 'data', 'existing'] as const) {
    const value = json(raw[field])
    if (value !== undefined) search[field] = value
  }
  return search
}
