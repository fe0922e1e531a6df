/**
 * The globs of triggers: over a path of `separator`-separated segments, `*` matches within one segment,
 * `**` across segments, `?` one character of a segment; everything else is literal. One module holds
 * the syntax so that matching an event (the dispatcher) and checking a pattern against an event's
 * subject shape (the catalog, at deploy) can never disagree.
 */

/** What one step of a glob (or of a subject shape) accepts. */
export type GlobToken =
  | { kind: 'char'; char: string }
  /** One character of `chars`: `segment` = anything but the separator, `any` = anything. */
  | { kind: 'one'; chars: 'segment' | 'any' }
  /** Zero or more characters of `chars`. */
  | { kind: 'many'; chars: 'segment' | 'any' }

/** Splits a glob into tokens (see the module comment). */
export function globTokens(glob: string): GlobToken[] {
  const tokens: GlobToken[] = []
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

const cache = new Map<string, RegExp>()

/** The glob as an anchored regular expression (cached: triggers are matched against every event). */
export function globToRegExp(glob: string, separator: '/' | '.'): RegExp {
  const key = `${separator}${glob}`
  let re = cache.get(key)
  if (re) return re
  const sep = separator === '/' ? '/' : '\\.'
  let source = ''
  for (const token of globTokens(glob)) {
    if (token.kind === 'char') source += token.char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
    else {
      const chars = token.chars === 'any' ? '.' : `[^${sep}]`
      source += token.kind === 'many' ? `${chars}*` : chars
    }
  }
  re = new RegExp(`^${source}$`)
  if (cache.size > 10_000) cache.clear()
  cache.set(key, re)
  return re
}

/** True when `value` matches `glob`. */
export function globMatch(glob: string, value: string, separator: '/' | '.'): boolean {
  return globToRegExp(glob, separator).test(value)
}

/**
 * True when some string is accepted by both token sequences, `/` being the separator (subjects are
 * paths): a walk over pairs of positions, where a `many` token may be skipped or consume a character while staying put.
 */
export function tokensIntersect(a: readonly GlobToken[], b: readonly GlobToken[]): boolean {
  const width = b.length + 1
  const seen = new Uint8Array((a.length + 1) * width)
  const stack: number[] = [0]
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

/** Whether one character can satisfy both tokens. */
function overlap(x: GlobToken, y: GlobToken): boolean {
  if (x.kind === 'char') return accepts(y, x.char)
  if (y.kind === 'char') return accepts(x, y.char)
  return true
}

/** Whether `token` accepts the character `c` (`/` being the separator). */
function accepts(token: GlobToken, c: string): boolean {
  if (token.kind === 'char') return token.char === c
  return token.chars === 'any' || c !== '/'
}
