import { type AuthContext, bypassesRules } from '../auth/signing-keys.ts'
import { StratusError } from '../core/errors.ts'
import type { RuleAuth, RuleVariables } from '../rules/rules.ts'
import { type ActiveCollection, type RuleAction, schemaErrors } from './collections.ts'

/** The service key and functions' ctx clients bypass rules (never schemas). */
export function isService(auth: AuthContext | null): boolean {
  return bypassesRules(auth)
}

/** `auth` as rules see it. */
export function ruleAuth(auth: AuthContext | null): RuleAuth | null {
  return auth ? { uid: auth.uid, role: auth.role, email: auth.email, claims: auth.claims } : null
}

/** What a rule sees of the request besides `auth` and `doc`. */
export interface RuleRequest {
  /** The document's data as the write would leave it (null for reads and deletes). */
  data: Record<string, unknown> | null
  /** get, list, create, update or delete. */
  method: 'get' | 'list' | 'create' | 'update' | 'delete'
}

/** What a collection rule sees: the data path and the rules simulator build it alike. */
export function ruleVariables(
  auth: AuthContext | null,
  doc: Record<string, unknown> | null,
  request: RuleRequest,
): RuleVariables {
  return { auth: ruleAuth(auth), doc, request }
}

export function forbidden(collection: string, action: RuleAction, configured: boolean): StratusError {
  return new StratusError(
    'auth/forbidden',
    configured
      ? `The ${action} rule of collection ${collection} does not allow this`
      : `Collection ${collection} has no rules: only the service key may use it`,
    { details: { collection, action } },
  )
}

/** Throws 403 `auth/forbidden` unless the caller may do `action` (the service key always may). */
export function authorize(
  auth: AuthContext | null,
  collection: string,
  active: ActiveCollection | null,
  action: RuleAction,
  doc: Record<string, unknown> | null,
  request: RuleRequest,
): void {
  if (isService(auth)) return
  if (!active) throw forbidden(collection, action, false)
  if (!active.rules[action].allows(ruleVariables(auth, doc, request))) {
    throw forbidden(collection, action, true)
  }
}

/** Throws 422 `db/validation-failed` when the collection has a schema that `data` violates. */
export function validateData(collection: string, active: ActiveCollection | null, data: unknown): void {
  const validate = active?.validate
  if (!validate || validate(data)) return
  throw new StratusError('db/validation-failed', `The document does not match the schema of ${collection}`, {
    details: { errors: schemaErrors(validate.errors) },
  })
}
