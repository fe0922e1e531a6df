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
import { type RuleRequest, ruleVariables } from './access.ts'
import type { CollectionConfig, RuleAction } from './collections.ts'

/** One question to the rules simulator about a collection, with what the service loaded for it. */
export interface DocumentSimulation {
  collection: string
  /** The collection's stored configuration; null when it has none (only the service key may use it). */
  config: CollectionConfig | null
  operation: SimulatedOperation
  auth: AuthContext | null
  /** The document the rule sees as `doc`: the stored one, or the admin's `existing`; null if none. */
  doc: Record<string, unknown> | null
  /** True when the admin named one document (`id` or `existing`): a list is then judged on it. */
  named: boolean
  /** `request.data`: the document as the write would leave it (after a PATCH's merge). */
  data: Record<string, unknown> | null
}

/** The rule the data path uses for an operation, and the `request.method` it passes. */
function choose(
  operation: SimulatedOperation,
  exists: boolean,
): { action: RuleAction; method: RuleRequest['method']; fallback?: string } {
  switch (operation) {
    case 'read':
      return { action: 'read', method: 'get' }
    case 'list':
      return { action: 'read', method: 'list', fallback: 'a list is judged by the read rule, per document' }
    case 'write':
      // A PUT creates or replaces: the data path judges it as the one it turns out to be.
      return exists
        ? {
            action: 'update',
            method: 'update',
            fallback: 'a write (PUT) of an existing document uses the update rule',
          }
        : {
            action: 'create',
            method: 'create',
            fallback: 'a write (PUT) of a missing document uses the create rule',
          }
    default:
      return { action: operation, method: operation }
  }
}

/**
 * What the data path would decide for `input`: the collection's rule for the operation, over the same
 * variables (`auth`, `doc`, `request.{data, method}`) that `authorize` gives it.
 */
export function simulateDocumentRule(rules: RulesEvaluator, input: DocumentSimulation): RuleSimulation {
  const { action, method, fallback } = choose(input.operation, input.doc !== null)
  const choice = { action, ...(fallback ? { fallback } : {}) }
  const what = `this ${input.operation} in ${input.collection}`
  if (!input.config) {
    return decidedWithoutRule(
      false,
      { action: null },
      `Collection ${input.collection} has no rules: only the service key (and admins on /admin/v1/app) may use it`,
    )
  }
  const writes = method === 'create' || method === 'update'
  if (writes && input.data === null) {
    throw new StratusError(
      'request/invalid',
      `A ${input.operation} needs data: the document as it would be written`,
      {
        details: { field: 'data' },
      },
    )
  }
  const rule = { ...choice, rule: input.config.rules[action] ?? false }
  // A create's rule never sees a stored document (the data path passes none).
  const doc = method === 'create' ? null : input.doc
  const variables = ruleVariables(input.auth, doc, { data: writes ? input.data : null, method })
  if (input.operation === 'list' && !input.named) {
    const { doc: _, ...known } = variables
    return simulateListRule(rules, rule, known, ['doc'], what)
  }
  return simulateRule(rules, rule, variables, what)
}
