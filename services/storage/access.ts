import { type AuthContext, bypassesRules } from '../auth/signing-keys.ts'
import { StratusError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import type { RuleAuth, RulesEvaluator, RuleVariables } from '../rules/rules.ts'
import type { Bucket, ObjectMetadata } from './records.ts'

/** Who is asking: the verified caller, or null for anon. */
export type Caller = AuthContext | null

/** What a bucket rule may be asked about. */
export type StorageAction = 'read' | 'write' | 'delete'

/** The object as rules see it: `{key, size, contentType, metadata}` (null when there is none). */
export type RuleObject = Pick<ObjectMetadata, 'key' | 'size' | 'contentType' | 'metadata'>

function ruleAuth(caller: Caller): RuleAuth | null {
  if (!caller) return null
  return { uid: caller.uid, role: caller.role, email: caller.email, claims: caller.claims }
}

/**
 * What a bucket rule sees: `auth`, `object` (`{key, size, contentType, metadata}`, or null) and
 * `request` (`{method, bucket, key}`). The data path and the rules simulator build it alike.
 */
export function storageRuleVariables(
  action: StorageAction,
  caller: Caller,
  bucket: string,
  key: string,
  object: RuleObject | null,
): RuleVariables {
  return {
    auth: ruleAuth(caller),
    object: object && {
      key: object.key,
      size: object.size,
      contentType: object.contentType,
      metadata: object.metadata,
    },
    request: { method: action, bucket, key },
  }
}

/**
 * Storage access decisions, through the shared CEL rules evaluator. The service key may do anything;
 * anyone may read a public bucket; otherwise the bucket's rule for the action decides, with `auth`,
 * `object` and `request` (`{method, bucket, key}`), and an absent rule denies.
 */
export class StorageAccess {
  private readonly rules: RulesEvaluator
  private readonly logger: Logger

  constructor(rules: RulesEvaluator, logger: Logger) {
    this.rules = rules
    this.logger = logger
  }

  /** True when `caller` may `action` the object (its metadata; the incoming object for a write). */
  allows(
    action: StorageAction,
    caller: Caller,
    bucket: Bucket,
    key: string,
    object: RuleObject | null,
  ): boolean {
    if (bypassesRules(caller)) return true
    if (action === 'read' && bucket.public) return true
    const source = bucket.rules[action]
    if (source === undefined) return false
    try {
      return this.rules.compile(source).allows(storageRuleVariables(action, caller, bucket.name, key, object))
    } catch (error) {
      // Rules are checked when a bucket is saved; one that no longer compiles denies, loudly.
      this.logger.warn({ err: error, bucket: bucket.name, rule: source }, 'storage rule failed to compile')
      return false
    }
  }

  /** Throws 401 `auth/unauthenticated` (anon) or 403 `auth/forbidden` unless `allows`. */
  check(action: StorageAction, caller: Caller, bucket: Bucket, key: string, object: RuleObject | null): void {
    if (this.allows(action, caller, bucket, key, object)) return
    if (!caller)
      throw new StratusError('auth/unauthenticated', `Sign in to ${action} objects in bucket ${bucket.name}`)
    throw new StratusError('auth/forbidden', `You may not ${action} ${key} in bucket ${bucket.name}`)
  }

  /** True when the caller may read any object of the bucket without a per-object rule check. */
  readsEverything(caller: Caller, bucket: Bucket): boolean {
    return bypassesRules(caller) || bucket.public
  }
}
