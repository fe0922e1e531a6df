import { type ASTNode, serialize } from '@marcbachmann/cel-js'

/**
 * Why a rule decided as it did, for the admin's rules simulator: which sub-expression settled the
 * outcome, and the values the rule read. Pure: it works on a parsed rule and the variables the data
 * path would pass (see `RulesEvaluator.explain`, which also decides `allowed` the data path's way).
 */

/** A place in a rule's source: line and column from 1, offset from 0 (UTF-16 code units). */
export interface SourcePosition {
  line: number
  column: number
  offset: number
}

/** A syntax or evaluation error of a rule, with where it is. */
export interface RuleProblem {
  message: string
  position: SourcePosition
  /** Where the faulty part ends (exclusive), when the parser says. */
  end?: SourcePosition
}

/** The part of a rule that decided its outcome. */
export interface DecidingPart {
  /** Its source text. */
  expression: string
  start: SourcePosition
  end: SourcePosition
  /** What it evaluated to: true, false, or null for an error or a non-boolean. */
  value: boolean | null
}

/** What the simulator reports of one evaluation. */
export interface RuleExplanation {
  allowed: boolean
  decidedBy: DecidingPart
  /** Each variable path the rule reads (`auth.uid`, `doc.owner`…) and its value. */
  bindings: Record<string, unknown>
  /** Paths the rule reads that are absent (reading one is an error in CEL, which denies). */
  missing: string[]
  /** Why evaluating the whole rule failed or gave a non-boolean (the rule then denies). */
  error?: RuleProblem
}

/** Compiles a sub-expression (serialised CEL) to a function of the variables. */
export type CompileExpression = (source: string) => (variables: Record<string, unknown>) => unknown

/** The position of `offset` in `source`. */
export function positionAt(source: string, offset: number): SourcePosition {
  const clamped = Math.max(0, Math.min(offset, source.length))
  let line = 1
  let lineStart = 0
  for (let i = 0; i < clamped; i++) {
    if (source[i] === '\n') {
      line++
      lineStart = i + 1
    }
  }
  return { line, column: clamped - lineStart + 1, offset: clamped }
}

/** A CEL error (ParseError, TypeError, EvaluationError) as a problem at its place in `source`. */
export function problemOf(source: string, error: unknown, fallbackMessage?: string): RuleProblem {
  const cel = error as { summary?: unknown; message?: unknown; range?: { start?: unknown; end?: unknown } }
  const message =
    fallbackMessage ??
    (typeof cel?.summary === 'string'
      ? cel.summary
      : String(typeof cel?.message === 'string' ? cel.message : error).split('\n')[0]!)
  const start = typeof cel?.range?.start === 'number' ? cel.range.start : 0
  const end = typeof cel?.range?.end === 'number' ? cel.range.end : undefined
  return {
    message,
    position: positionAt(source, start),
    ...(end !== undefined && end > start ? { end: positionAt(source, end) } : {}),
  }
}

const ROOTS = new Set(['auth', 'doc', 'request', 'object'])
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/

/** `['doc', 'a b', 0]` → `doc["a b"][0]`; `['auth', 'uid']` → `auth.uid`. */
function pathText(path: readonly (string | number)[]): string {
  let text = String(path[0])
  for (const segment of path.slice(1)) {
    text +=
      typeof segment === 'string' && IDENTIFIER.test(segment) ? `.${segment}` : `[${JSON.stringify(segment)}]`
  }
  return text
}

/** The variable path `node` reads, when it is a variable or a chain of constant field accesses on one. */
function pathOf(node: ASTNode): (string | number)[] | undefined {
  switch (node.op) {
    case 'id':
      return ROOTS.has(node.args) ? [node.args] : undefined
    case '.':
    case '.?': {
      const base = pathOf(node.args[0])
      return base && [...base, node.args[1]]
    }
    case '[]':
    case '[?]': {
      const base = pathOf(node.args[0])
      const key = node.args[1]
      if (!base || key.op !== 'value') return undefined
      const value = key.args
      if (typeof value === 'string') return [...base, value]
      if (typeof value === 'number' || typeof value === 'bigint') return [...base, Number(value)]
      return undefined
    }
    default:
      return undefined
  }
}

function children(node: ASTNode): ASTNode[] {
  const out: ASTNode[] = []
  const visit = (value: unknown) => {
    if (Array.isArray(value)) for (const item of value) visit(item)
    else if (value && typeof value === 'object' && 'op' in value) out.push(value as ASTNode)
  }
  visit(node.args)
  return out
}

/**
 * The variable paths a rule reads, longest first within each access (`doc.a.b`, not also `doc.a`), in
 * source order without repeats. A comprehension's own variable (`r` in `roles.exists(r, …)`) is not one.
 */
export function referencedPaths(ast: ASTNode): (string | number)[][] {
  const seen = new Set<string>()
  const paths: (string | number)[][] = []
  const visit = (node: ASTNode) => {
    const path = pathOf(node)
    if (path) {
      const text = pathText(path)
      if (!seen.has(text)) {
        seen.add(text)
        paths.push(path)
      }
      return
    }
    for (const child of children(node)) visit(child)
  }
  visit(ast)
  return paths
}

/** Follows `path` through plain JSON values; `found: false` when a step is absent. */
function lookup(variables: Record<string, unknown>, path: readonly (string | number)[]) {
  let value: unknown = variables
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return { found: false as const }
    if (Array.isArray(value)) {
      if (typeof segment !== 'number' || segment < 0 || segment >= value.length)
        return { found: false as const }
      value = value[segment]
    } else {
      if (!Object.hasOwn(value, segment)) return { found: false as const }
      value = (value as Record<string, unknown>)[String(segment)]
    }
  }
  return { found: true as const, value }
}

/**
 * Which part of `ast` decided its value, evaluated part by part with CEL's rules for `&&` and `||`
 * (a false side settles `&&`, a true side settles `||`, whatever the other side does, errors included)
 * and following the branch a `?:` took. Anything else is one part.
 */
function decidingPart(
  ast: ASTNode,
  compile: CompileExpression,
  variables: Record<string, unknown>,
): { node: ASTNode; value: boolean | null } {
  const evaluate = (node: ASTNode): boolean | null => {
    try {
      const result = compile(serialize(node))(variables)
      return typeof result === 'boolean' ? result : null
    } catch {
      return null
    }
  }
  const walk = (node: ASTNode): { node: ASTNode; value: boolean | null } => {
    if (node.op === '&&' || node.op === '||') {
      const settles = node.op === '||'
      const left = walk(node.args[0])
      if (left.value === settles) return left
      const right = walk(node.args[1])
      if (right.value === settles) return right
      if (left.value === !settles && right.value === !settles) return { node, value: !settles }
      return left.value === null ? left : right
    }
    if (node.op === '?:') {
      const condition = evaluate(node.args[0])
      if (condition === null) return { node: node.args[0], value: null }
      return walk(condition ? node.args[1] : node.args[2])
    }
    return { node, value: evaluate(node) }
  }
  return walk(ast)
}

/**
 * Explains one evaluation of a parsed rule. `allowed` and `error` are what the data path decided
 * (passed in, so the two never disagree); the deciding part and bindings are worked out here.
 */
export function explainRule(
  source: string,
  ast: ASTNode,
  compile: CompileExpression,
  variables: Record<string, unknown>,
  outcome: { allowed: boolean; error?: unknown; errorMessage?: string },
): RuleExplanation {
  const bindings: Record<string, unknown> = {}
  const missing: string[] = []
  for (const path of referencedPaths(ast)) {
    const found = lookup(variables, path)
    if (found.found) bindings[pathText(path)] = found.value
    else missing.push(pathText(path))
  }
  const part = decidingPart(ast, compile, variables)
  const start = part.node.range?.start ?? 0
  const end = part.node.range?.end ?? source.length
  return {
    allowed: outcome.allowed,
    decidedBy: {
      expression: source.slice(start, end),
      start: positionAt(source, start),
      end: positionAt(source, end),
      value: part.value,
    },
    bindings,
    missing,
    ...(outcome.error !== undefined || outcome.errorMessage !== undefined
      ? { error: problemOf(source, outcome.error, outcome.errorMessage) }
      : {}),
  }
}
