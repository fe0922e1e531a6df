import type { AuthContext } from '../auth/signing-keys.ts'
import { StratusError } from '../core/errors.ts'
import type { RulesEvaluator } from '../rules/rules.ts'
import {
  decidedWithoutRule,
  type RuleSimulation,
  type SimulatedOperation,
  simulateListRule,
  simulateRule,
} from '../rules/simulation.ts'
import { type RuleObject, type StorageAction, storageRuleVariables } from './access.ts'
import type { Bucket } from './records.ts'

/** What an upload declares, as the simulator takes it (`data` of a create, update or write). */
export interface SimulatedUpload {
  size?: number
  contentType?: string
  metadata?: Record<string, string>
}

/** One question to the rules simulator about a bucket, with what the service loaded for it. */
export interface ObjectSimulation {
  bucket: Bucket
  /** The object's key; absent only for a list. */
  key?: string
  operation: SimulatedOperation
  auth: AuthContext | null
  /** The stored object's metadata (or the admin's `existing`), for reads, lists and deletes. */
  object: RuleObject | null
  /** What an upload declares (uploads' rule sees the incoming object, never the stored one). */
  upload: SimulatedUpload | null
}

const FALLBACKS: Partial<Record<SimulatedOperation, string>> = {
  list: 'a list shows the objects the read rule allows',
  create: 'an upload (new or replacing) is judged by the write rule',
  update: 'an upload (new or replacing) is judged by the write rule',
}

function actionOf(operation: SimulatedOperation): StorageAction {
  if (operation === 'list') return 'read'
  if (operation === 'create' || operation === 'update') return 'write'
  return operation
}

/**
 * What the data path would decide for `input` (see `StorageAccess.allows`): a public bucket lets anyone
 * read; otherwise the bucket's rule for the action, over `auth`, `object` and `request`; no rule denies.
 * An upload's rule sees the incoming object (`{key, size, contentType, metadata}` as declared: the size
 * is the content-length, 0 for a chunked body until its end), as the upload route gives it.
 */
export function simulateObjectRule(rules: RulesEvaluator, input: ObjectSimulation): RuleSimulation {
  const { bucket, operation } = input
  const action = actionOf(operation)
  const fallback = FALLBACKS[operation]
  const choice = { action, ...(fallback ? { fallback } : {}) }
  const what = `this ${operation} in bucket ${bucket.name}`
  if (action === 'read' && bucket.public) {
    return decidedWithoutRule(true, choice, `Bucket ${bucket.name} is public: anyone may read its objects`)
  }
  const source = bucket.rules[action]
  if (source === undefined) {
    return decidedWithoutRule(
      false,
      choice,
      `Bucket ${bucket.name} has no ${action} rule: only the service key (and admins on /admin/v1/app) may ${action}`,
    )
  }
  const rule = { ...choice, rule: source }
  if (operation === 'list' && input.key === undefined && input.object === null) {
    const {
      object: _,
      request: __,
      ...known
    } = storageRuleVariables('read', input.auth, bucket.name, '', null)
    return simulateListRule(rules, rule, known, ['object', 'request'], what)
  }
  const key = input.key ?? input.object?.key
  if (key === undefined) {
    throw new StratusError('request/invalid', `A ${operation} names an object: send key`, {
      details: { field: 'key' },
    })
  }
  const object =
    action === 'write'
      ? {
          key,
          size: input.upload?.size ?? 0,
          contentType: input.upload?.contentType?.trim() || 'application/octet-stream',
          metadata: input.upload?.metadata ?? {},
        }
      : input.object
  return simulateRule(rules, rule, storageRuleVariables(action, input.auth, bucket.name, key, object), what)
}
