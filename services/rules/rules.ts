import { type ASTNode, Environment, serialize } from '@marcbachmann/cel-js'
import { explainRule, problemOf, type RuleExplanation, type RuleProblem } from './explain.ts'

export type { DecidingPart, RuleExplanation, RuleProblem, SourcePosition } from './explain.ts'

/**
 * The one rules evaluator, shared by the database, storage and realtime: CEL (Common Expression
 * Language, through @marcbachmann/cel-js) over a fixed set of variables. A rule is compiled once and
 * cached by its source; evaluating it never throws: an evaluation error (a missing field, a type
 * mismatch) or a non-boolean result denies, and is logged with the rule.
 */

/** The variables a rule may read. Each service passes the ones that apply; the others are null. */
export interface RuleVariables {
  /** The caller: null for anon. */
  auth: RuleAuth | null
  /** The stored document (database rules), or null when there is none. */
  doc?: unknown
  /** The incoming write (`request.data`), and anything else the service describes of the request. */
  request?: unknown
  /** The object's metadata (storage rules). */
  object?: unknown
}

/** `auth` as rules see it (API.md): `{uid, role, email, claims}`. */
export interface RuleAuth {
  uid: string
  role: string
  email: string | null
  claims: Record<string, unknown>
}

const VARIABLES = ['auth', 'doc', 'request', 'object'] as const

/** Where denials caused by errors are reported (a pino logger fits). */
export interface RuleLogger {
  warn(details: object, message: string): void
}

/** A rule that does not compile: `message` says what, `problem` also where, for the admin who set it. */
export class RuleSyntaxError extends Error {
  override name = 'RuleSyntaxError'
  readonly rule: string
  /** The message with its position in the rule (line and column from 1). */
  readonly problem: RuleProblem
  constructor(rule: string, message: string, cause?: unknown) {
    super(message)
    this.rule = rule
    this.problem = problemOf(rule, cause, message)
  }
}

/** The outcome of `RulesEvaluator.check`: whether a rule would be accepted, and if not why and where. */
export type RuleCheck = { ok: true } | { ok: false; error: RuleProblem }

/** A compiled rule. */
export interface Rule {
  readonly source: string
  /** True only if the rule evaluates to `true`; errors and non-boolean results deny. */
  allows(variables: RuleVariables): boolean
  /**
   * Decides the rule before `unknown` is known (a list query's `doc`, before any document is read;
   * several variables may be unknown at once):
   * `true` if it allows whatever that variable holds, `false` if it denies whatever it holds,
   * `undefined` if that depends on it. Sound, not complete: it looks through `&&` and `||` from the top
   * and evaluates the parts that do not mention the variable (an error there counts as false, which
   * gives `&&`/`||` the same outcome as CEL's error rules do), so `auth != null && doc.owner == auth.uid`
   * is `false` for anon without reading a document.
   */
  decide(
    variables: RuleVariables,
    unknown: keyof RuleVariables | readonly (keyof RuleVariables)[],
  ): boolean | undefined
}

const ALLOW: Rule = { source: 'true', allows: () => true, decide: () => true }
const DENY: Rule = { source: 'false', allows: () => false, decide: () => false }

/** A rule's top-level `&&`/`||` structure, with the parts that do not mention one variable compiled. */
type Plan =
  | { kind: 'known'; run: (variables: RuleVariables) => boolean }
  | { kind: '&&' | '||'; left: Plan; right: Plan }
  | { kind: 'unknown' }

function mentions(node: unknown, names: readonly string[]): boolean {
  if (Array.isArray(node)) return node.some((child) => mentions(child, names))
  if (!node || typeof node !== 'object' || !('op' in node)) return false
  const ast = node as ASTNode
  if (ast.op === 'id') return names.includes(ast.args)
  return mentions(ast.args, names)
}

function decidePlan(plan: Plan, variables: RuleVariables): boolean | undefined {
  if (plan.kind === 'known') return plan.run(variables)
  if (plan.kind === 'unknown') return undefined
  const left = decidePlan(plan.left, variables)
  const right = decidePlan(plan.right, variables)
  if (plan.kind === '&&') {
    if (left === false || right === false) return false
    return left === true && right === true ? true : undefined
  }
  if (left === true || right === true) return true
  return left === false && right === false ? false : undefined
}

/** Compiles and caches rules. One per process is enough; it holds no per-request state. */
export class RulesEvaluator {
  private readonly env: Environment
  private readonly cache = new Map<string, Rule>()
  private readonly logger: RuleLogger | undefined
  private readonly maxCached: number

  constructor(options: { logger?: RuleLogger; maxCached?: number } = {}) {
    this.logger = options.logger
    this.maxCached = options.maxCached ?? 10_000
    let env = new Environment({
      homogeneousAggregateLiterals: false,
      // Rules are short; these bounds keep a hostile rule from costing more than a parse.
      limits: {
        maxAstNodes: 2000,
        maxDepth: 64,
        maxListElements: 1000,
        maxMapEntries: 1000,
        maxCallArguments: 16,
      },
    })
    for (const name of VARIABLES) env = env.registerVariable(name, 'dyn')
    this.env = env
  }

  /**
   * Compiles `source` (or a boolean), throwing RuleSyntaxError for a syntax error, an unknown variable
   * or a rule that cannot be boolean. Cached: compiling the same source again is a map lookup.
   */
  compile(source: string | boolean): Rule {
    if (source === true || source === 'true') return ALLOW
    if (source === false || source === 'false') return DENY
    const cached = this.cache.get(source)
    if (cached) return cached
    const rule = this.build(source)
    if (this.cache.size >= this.maxCached) this.cache.delete(this.cache.keys().next().value!)
    this.cache.set(source, rule)
    return rule
  }

  private build(source: string): Rule {
    if (source.trim() === '') throw new RuleSyntaxError(source, 'A rule must not be empty: use true or false')
    let checked: ReturnType<Environment['check']>
    let program: ReturnType<Environment['parse']>
    try {
      checked = this.env.check(source)
      program = this.env.parse(source)
    } catch (error) {
      throw new RuleSyntaxError(source, firstLine(error), error)
    }
    if (!checked.valid) {
      throw new RuleSyntaxError(
        source,
        `${firstLine(checked.error)} (rules may use ${VARIABLES.join(', ')})`,
        checked.error,
      )
    }
    if (checked.type !== 'bool' && checked.type !== 'dyn') {
      throw new RuleSyntaxError(source, `A rule must be a boolean expression, not ${checked.type}`)
    }
    const logger = this.logger
    const env = this.env
    const plans = new Map<string, Plan>()
    const plan = (node: ASTNode, unknown: readonly string[]): Plan => {
      if (!mentions(node, unknown)) {
        const part = env.parse(serialize(node))
        return {
          kind: 'known',
          run: (variables) => {
            try {
              return part({ doc: null, request: null, object: null, ...variables }) === true
            } catch {
              return false
            }
          },
        }
      }
      if (node.op === '&&' || node.op === '||') {
        return { kind: node.op, left: plan(node.args[0], unknown), right: plan(node.args[1], unknown) }
      }
      return { kind: 'unknown' }
    }
    return {
      source,
      decide(
        variables: RuleVariables,
        unknown: keyof RuleVariables | readonly (keyof RuleVariables)[],
      ): boolean | undefined {
        const names: readonly string[] = typeof unknown === 'string' ? [unknown] : unknown
        const key = names.join(',')
        let compiled = plans.get(key)
        if (!compiled) {
          compiled = plan(program.ast, names)
          plans.set(key, compiled)
        }
        return decidePlan(compiled, variables)
      },
      allows(variables: RuleVariables): boolean {
        const outcome = run(program, variables)
        if (outcome.error === undefined) return outcome.allowed
        logger?.warn({ rule: source, err: outcome.errorMessage }, 'rule denied on error')
        return false
      },
    }
  }

  /**
   * Whether `source` would be accepted as a rule (what saving a collection or bucket checks), and if
   * not, the message with its position, for an editor to underline.
   */
  check(source: string | boolean): RuleCheck {
    try {
      this.compile(source)
      return { ok: true }
    } catch (error) {
      if (error instanceof RuleSyntaxError) return { ok: false, error: error.problem }
      throw error
    }
  }

  /**
   * Evaluates `source` as the data path does (same compile, same variables, same outcome) and explains
   * the result: the part that decided it and the values the rule read. Throws RuleSyntaxError for a
   * rule that does not compile.
   */
  explain(source: string | boolean, variables: RuleVariables): RuleExplanation {
    this.compile(source)
    const text = typeof source === 'boolean' ? String(source) : source
    const program = this.env.parse(text)
    const outcome = run(program, variables)
    const env = this.env
    return explainRule(
      text,
      program.ast,
      (part) => {
        const compiled = env.parse(part)
        return (values) => compiled(values)
      },
      withDefaults(variables),
      outcome,
    )
  }
}

/** The variables as rules see them: the ones a service does not pass are null. */
function withDefaults(variables: RuleVariables): Record<string, unknown> {
  return { doc: null, request: null, object: null, ...variables }
}

/** One evaluation: allowed only for a boolean true; an error or a non-boolean denies, with why. */
function run(
  program: (context: Record<string, unknown>) => unknown,
  variables: RuleVariables,
): { allowed: boolean; error?: unknown; errorMessage?: string } {
  try {
    const result = program(withDefaults(variables))
    if (typeof result === 'boolean') return { allowed: result }
    return {
      allowed: false,
      errorMessage: `The rule gave ${result === null ? 'null' : typeof result}, not a boolean: denied`,
    }
  } catch (error) {
    return { allowed: false, error, errorMessage: firstLine(error) }
  }
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  return text.split('\n')[0] ?? text
}
