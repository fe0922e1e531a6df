// Whether a trigger's subject glob can ever match a subject of an event type, checked as the server does
// (services/core/glob.ts and event-catalog.ts `canMatch`) so the form can say so while the developer
// types. The server stays the judge: its `functions/invalid-trigger` answer is shown as well.

type Token =
  | { kind: 'char'; char: string }
  | { kind: 'one'; chars: 'segment' | 'any' }
  | { kind: 'many'; chars: 'segment' | 'any' }

/** A glob's tokens: `*` within one segment, `**` across segments, `?` one character of a segment. */
function globTokens(glob: string): Token[] {
  const tokens: Token[] = []
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!
    if (c === '*' && glob[i + 1] === '*') {
      tokens.push({ kind: 'many', chars: 'any' })
      i++
    } else if (c === '*') tokens.push({ kind: 'many', chars: 'segment' })
    else if (c === '?') tokens.push({ kind: 'one', chars: 'segment' })
    else tokens.push({ kind: 'char', char: c })
  }
  return tokens
}

/** A subject shape's tokens: `{name}` is one or more characters of a segment, `{name...}` of any. */
function shapeTokens(shape: string): Token[] {
  const tokens: Token[] = []
  shape.split('/').forEach((segment, i) => {
    if (i > 0) tokens.push({ kind: 'char', char: '/' })
    const placeholder = /^\{([A-Za-z]+)(\.\.\.)?\}$/.exec(segment)
    if (placeholder) {
      const chars = placeholder[2] ? 'any' : 'segment'
      tokens.push({ kind: 'one', chars }, { kind: 'many', chars })
    } else {
      for (const char of segment) tokens.push({ kind: 'char', char })
    }
  })
  return tokens
}

function accepts(token: Token, c: string): boolean {
  if (token.kind === 'char') return token.char === c
  return token.chars === 'any' || c !== '/'
}

function overlap(x: Token, y: Token): boolean {
  if (x.kind === 'char') return accepts(y, x.char)
  if (y.kind === 'char') return accepts(x, y.char)
  return true
}

/** True when some string is accepted by both token sequences. */
function intersect(a: readonly Token[], b: readonly Token[]): boolean {
  const width = b.length + 1
  const seen = new Uint8Array((a.length + 1) * width)
  const stack = [0]
  seen[0] = 1
  const visit = (i: number, j: number) => {
    const at = i * width + j
    if (seen[at]) return
    seen[at] = 1
    stack.push(at)
  }
  while (stack.length > 0) {
    const at = stack.pop()!
    const i = Math.floor(at / width)
    const j = at % width
    if (i === a.length && j === b.length) return true
    const x = a[i]
    const y = b[j]
    if (x?.kind === 'many') visit(i + 1, j)
    if (y?.kind === 'many') visit(i, j + 1)
    if (x && y && overlap(x, y)) visit(x.kind === 'many' ? i : i + 1, y.kind === 'many' ? j : j + 1)
  }
  return false
}

/** Whether `pattern` (a subject glob) can match some subject shaped `shape`. */
export function subjectCanMatch(shape: string, pattern: string): boolean {
  return intersect(globTokens(pattern), shapeTokens(shape))
}

/** Whether an event-type glob (`.`-separated: `db.document.*`, `db.**`) matches `type`. */
export function eventGlobMatches(glob: string, type: string): boolean {
  let source = ''
  for (const token of globTokens(glob)) {
    if (token.kind === 'char') source += token.char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
    else {
      const chars = token.chars === 'any' ? '.' : '[^.]'
      source += token.kind === 'many' ? `${chars}*` : chars
    }
  }
  return new RegExp(`^${source}$`).test(type)
}

/** The shape with a wildcard at each placeholder: a pattern matching every subject of the type. */
export function widestPattern(shape: string): string {
  return shape
    .split('/')
    .map((segment) => {
      const placeholder = /^\{([A-Za-z]+)(\.\.\.)?\}$/.exec(segment)
      return placeholder ? (placeholder[2] ? '**' : '*') : segment
    })
    .join('/')
}

type ShapeSegment = { literal: string } | { placeholder: string; multi: boolean }

function shapeSegments(shape: string): ShapeSegment[] {
  return shape.split('/').map((segment) => {
    const placeholder = /^\{([A-Za-z]+)(\.\.\.)?\}$/.exec(segment)
    return placeholder
      ? { placeholder: placeholder[1]!, multi: placeholder[2] !== undefined }
      : { literal: segment }
  })
}

/**
 * A subject pattern that can match subjects shaped `shape`, as close to `pattern` as the shape allows
 * (the server's `suggestPattern`): the pattern's segments placed into the shape's placeholders in order,
 * missing literal segments put back (`collections/posts/*` → `collections/posts/documents/*`); else,
 * with as many segments as the shape, taken position by position (`user/*` → `users/*`); else the
 * widest pattern.
 */
export function suggestSubject(shape: string, pattern: string): string {
  if (subjectCanMatch(shape, pattern)) return pattern
  const segments = shapeSegments(shape)
  const given = pattern.split('/').filter((segment) => segment !== '')
  const out: string[] = []
  let next = 0
  segments.forEach((segment, i) => {
    if ('literal' in segment) {
      if (given[next] === segment.literal) next++
      out.push(segment.literal)
    } else if (segment.multi) {
      const rest = given.slice(next).join('/')
      next = given.length
      out.push(rest === '' || rest === '*' ? '**' : rest)
    } else {
      const following = segments[i + 1]
      const skipped = following && 'literal' in following && given[next] === following.literal
      out.push(skipped || next >= given.length ? '*' : given[next++]!)
    }
  })
  const byPosition =
    next < given.length && given.length === segments.length
      ? segments.map((segment, i) => ('literal' in segment ? segment.literal : given[i]!)).join('/')
      : undefined
  const candidates = [byPosition, out.join('/'), widestPattern(shape)]
  return candidates.find((c) => c !== undefined && subjectCanMatch(shape, c)) ?? widestPattern(shape)
}
