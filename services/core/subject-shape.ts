import { type GlobToken, globTokens, tokensIntersect } from './glob.ts'

/**
 * Subject shapes (`collections/{col}/documents/{id}`, `buckets/{bucket}/objects/{key...}`) against
 * trigger subject globs: whether a glob can ever match a subject of a shape, and the nearest glob that
 * can. Pure and dependency-free apart from glob.ts, because the console imports it too: the form that
 * checks a trigger while the developer types and the deploy that refuses it must never disagree.
 */

/** One segment of a subject shape: a literal, or a `{name}` (one segment) / `{name...}` (any) placeholder. */
type ShapeSegment = { literal: string } | { placeholder: string; multi: boolean }

function shapeSegments(shape: string): ShapeSegment[] {
  return shape.split('/').map((segment) => {
    const placeholder = /^\{([A-Za-z]+)(\.\.\.)?\}$/.exec(segment)
    return placeholder
      ? { placeholder: placeholder[1]!, multi: placeholder[2] !== undefined }
      : { literal: segment }
  })
}

/** The shape as glob tokens: a placeholder is one or more characters (of one segment unless multi). */
function shapeTokens(shape: string): GlobToken[] {
  const tokens: GlobToken[] = []
  shapeSegments(shape).forEach((segment, i) => {
    if (i > 0) tokens.push({ kind: 'char', char: '/' })
    if ('literal' in segment) {
      for (const char of segment.literal) tokens.push({ kind: 'char', char })
    } else {
      const chars = segment.multi ? 'any' : 'segment'
      tokens.push({ kind: 'one', chars }, { kind: 'many', chars })
    }
  })
  return tokens
}

/**
 * Whether a subject glob (`*` within a segment, `**` across, `?` one character) can match any subject
 * shaped `shape`. Placeholders stand for any text (`{name...}` even one with empty segments), so when
 * in doubt the answer is yes: a deploy refused on a false no would be worse than a trigger that never
 * fires.
 */
export function shapeCanMatch(shape: string, pattern: string): boolean {
  return tokensIntersect(globTokens(pattern), shapeTokens(shape))
}

/** The shape with a wildcard at each placeholder: a pattern matching every subject of the shape. */
export function widestPattern(shape: string): string {
  return shapeSegments(shape)
    .map((segment) => ('literal' in segment ? segment.literal : wildcard(segment.multi)))
    .join('/')
}

/**
 * A subject pattern that can match subjects shaped `shape`, as close to `pattern` as the shape allows:
 * `pattern` itself when it already can; else the shape with the pattern's segments placed into its
 * placeholders in order and its missing literal segments put back (`collections/posts/*` becomes
 * `collections/posts/documents/*`), a bare `*` given to a multi-segment placeholder becoming `**`.
 * When that leaves segments over and the pattern has as many segments as the shape, they are taken
 * position by position instead (`user/*` → `users/*`). Failing all that, the widest pattern.
 */
export function suggestPatternForShape(shape: string, pattern: string): string {
  if (shapeCanMatch(shape, pattern)) return pattern
  const segments = shapeSegments(shape)
  const given = pattern.split('/').filter((segment) => segment !== '')
  const fitted = fitInOrder(segments, given)
  const candidates = [
    fitted.leftOver && given.length === segments.length ? fitByPosition(segments, given) : undefined,
    fitted.suggestion,
  ]
  return candidates.find((c) => c !== undefined && shapeCanMatch(shape, c)) ?? widestPattern(shape)
}

function wildcard(multi: boolean): string {
  return multi ? '**' : '*'
}

/** Walks the shape, taking the pattern's segments into placeholders and putting back missing literals. */
function fitInOrder(shape: ShapeSegment[], given: string[]): { suggestion: string; leftOver: boolean } {
  const out: string[] = []
  let next = 0
  shape.forEach((segment, i) => {
    if ('literal' in segment) {
      if (given[next] === segment.literal) next++
      out.push(segment.literal)
    } else if (segment.multi) {
      const rest = given.slice(next).join('/')
      next = given.length
      out.push(rest === '' || rest === '*' ? '**' : rest)
    } else {
      // The pattern skipped this placeholder if its next segment is the shape's next literal.
      const following = shape[i + 1]
      const skipped = following && 'literal' in following && given[next] === following.literal
      out.push(skipped || next >= given.length ? '*' : given[next++]!)
    }
  })
  return { suggestion: out.join('/'), leftOver: next < given.length }
}

/** The shape's literals where it has them, the pattern's segments (same count) at its placeholders. */
function fitByPosition(shape: ShapeSegment[], given: string[]): string {
  return shape.map((segment, i) => ('literal' in segment ? segment.literal : given[i]!)).join('/')
}
