import type { DecidingPart, RuleProblem } from './explain.ts'
import { RuleSyntaxError, type RulesEvaluator, type RuleVariables } from './rules.ts'

/** What the simulator may be asked about (API.md: `POST /admin/v1/rules/simulate`). */
export const SIMULATED_OPERATIONS = ['read', 'list', 'create', 'update', 'delete', 'write'] as const
export type SimulatedOperation = (typeof SIMULATED_OPERATIONS)[number]

/**
 * The simulator's answer: whether the data path would allow the operation, which stored rule it used
 * (and why that one), the part that decided, and the values the rule read.
 */
export interface RuleSimulation {
  allowed: boolean
  /** The rule's expression, as stored; null when no expression decides (no rules, a public bucket). */
  rule: string | null
  /** Which of the collection's or bucket's rules applies (`read`, `create`, … `write`), or null. */
  action: string | null
  /** Why that rule applies when it is not the one named like the operation (`list` uses `read`…). */
  fallback?: string
  /** One sentence saying what decided. */
  explanation: string
  /** The part of the rule that settled the outcome (a side of `&&`/`||`, a branch of `?:`, or all of it). */
  decidedBy?: DecidingPart
  /** Each variable path the rule mentions (`auth.uid`, `doc.owner`…) with its value. */
  bindings: Record<string, unknown>
  /** Paths the rule mentions that are absent (reading one fails, which denies). */
  missing: string[]
  /** The stored rule does not compile, or its evaluation failed: either way the data path denies. */
  error?: RuleProblem
  /**
   * Set for a list (or a `read` of many objects) whose rule depends on each document or object: the
   * query runs, and what the rule refuses is left out of the page.
   */
  perItem?: boolean
}

/** The parts of a simulation the service decides before any rule runs. */
export interface RuleChoice {
  rule: string | boolean | null
  action: string | null
  fallback?: string
}

/** An answer without an expression: no rules, or a public bucket. */
export function decidedWithoutRule(
  allowed: boolean,
  choice: Omit<RuleChoice, 'rule'>,
  explanation: string,
): RuleSimulation {
  return { allowed, rule: null, ...choice, explanation, bindings: {}, missing: [] }
}

/**
 * Runs `choice.rule` on `variables` through the shared evaluator, as the data path would, and explains
 * the outcome. A stored rule that no longer compiles denies, with the syntax error and its position.
 */
export function simulateRule(
  rules: RulesEvaluator,
  choice: RuleChoice & { rule: string | boolean },
  variables: RuleVariables,
  what: string,
): RuleSimulation {
  const rule = String(choice.rule)
  const base = { rule, action: choice.action, ...(choice.fallback ? { fallback: choice.fallback } : {}) }
  try {
    const explained = rules.explain(choice.rule, variables)
    const verdict = explained.allowed ? 'allows' : 'denies'
    const explanation = explained.error
      ? `The ${choice.action} rule failed on these values (${explained.error.message}), so it denies ${what}`
      : explained.decidedBy.expression === rule.trim() || explained.decidedBy.expression === rule
        ? `The ${choice.action} rule ${verdict} ${what}`
        : `The ${choice.action} rule ${verdict} ${what}: \`${explained.decidedBy.expression}\` is ${explained.decidedBy.value}`
    return { ...base, ...explained, explanation }
  } catch (error) {
    if (!(error instanceof RuleSyntaxError)) throw error
    return {
      ...base,
      allowed: false,
      explanation: `The stored ${choice.action} rule does not compile, so it denies ${what}`,
      bindings: {},
      missing: [],
      error: error.problem,
    }
  }
}

/** The variable a binding path starts from (`doc` for `doc.owner` or `doc["a b"]`). */
function rootOf(path: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*/.exec(path)?.[0] ?? path
}

/**
 * A list's verdict before any item is read: the rule decided without the `unknown` variables (from
 * `auth` alone: `true` or `false`), or it depends on each item (`undefined`): then the query runs and
 * leaves out what the rule refuses. Bindings leave out the unknown variables (no item was read).
 */
export function simulateListRule(
  rules: RulesEvaluator,
  choice: RuleChoice & { rule: string | boolean },
  variables: RuleVariables,
  unknown: readonly (keyof RuleVariables)[],
  what: string,
): RuleSimulation {
  let verdict: boolean | undefined
  try {
    verdict = rules.compile(choice.rule).decide(variables, unknown)
  } catch (error) {
    if (!(error instanceof RuleSyntaxError)) throw error
    return simulateRule(rules, choice, variables, what)
  }
  const blanks = Object.fromEntries(unknown.map((name) => [name, null]))
  const {
    error: _,
    decidedBy,
    bindings,
    missing,
    ...explained
  } = simulateRule(rules, choice, { ...variables, ...blanks }, what)
  const known = (path: string) => !unknown.includes(rootOf(path) as keyof RuleVariables)
  const seen = {
    bindings: Object.fromEntries(Object.entries(bindings).filter(([path]) => known(path))),
    missing: missing.filter(known),
  }
  const item = unknown.includes('doc') ? 'document' : 'object'
  if (verdict !== undefined) {
    return {
      ...explained,
      ...seen,
      ...(decidedBy ? { decidedBy } : {}),
      allowed: verdict,
      explanation: `The ${choice.action} rule ${verdict ? 'allows' : 'denies'} ${what} whatever the ${item}${verdict ? '' : ' (the query is refused with 403)'}`,
    }
  }
  return {
    ...explained,
    ...seen,
    allowed: true,
    perItem: true,
    explanation: `The ${choice.action} rule depends on each ${item}: ${what} runs, and leaves out what the rule refuses (name one, or pass \`existing\`, to try it)`,
  }
}
