import { escapeRegExp } from '../../core/regexp.ts'

/**
 * The `redirect_to` allow-list. An entry is an exact URL or a glob; the candidate's query string is
 * free, its fragment is dropped (the tokens go there). Globs are matched per URL part, never over the
 * raw string, so that no pattern can be stretched across a host boundary:
 * - scheme: literal;
 * - host and port: `*` stands for one run of `[A-Za-z0-9-]` (`https://*.example.com`, `http://localhost:*`);
 *   it never spans a `.`, `:` or `@`;
 * - path: `*` stands for one segment's characters, `**` for anything (`https://app.example/auth/**`).
 *
 * Candidates are parsed first (so `..`, default ports, case and percent-encoding are normalised), and
 * URLs carrying credentials (`https://user@host`) are refused outright.
 */

const AUTHORITY_WILDCARD = '[A-Za-z0-9-]*'

/** A compiled allow-list. */
export class RedirectAllowList {
  private readonly patterns: RegExp[]

  constructor(entries: readonly string[]) {
    this.patterns = entries.flatMap((entry) => {
      const pattern = compile(entry)
      return pattern ? [pattern] : []
    })
  }

  /** True when `candidate` is an absolute URL that some entry allows. */
  allows(candidate: string): boolean {
    const subject = normalize(candidate)
    if (subject === undefined) return false
    return this.patterns.some((pattern) => pattern.test(subject))
  }
}

/** `scheme://host[:port]/path` of a URL, or undefined if it is not one we would redirect to. */
function normalize(candidate: string): string | undefined {
  let url: URL
  try {
    url = new URL(candidate)
  } catch {
    return undefined
  }
  if (url.username || url.password) return undefined
  if (url.protocol === 'javascript:' || url.protocol === 'data:' || url.protocol === 'file:') return undefined
  // Custom schemes (mobile apps: `myapp://callback`) have an opaque path and maybe no host.
  return `${url.protocol}//${url.host}${url.pathname}`
}

/** The regular expression of one entry, or undefined for an entry that is not a URL at all. */
function compile(entry: string): RegExp | undefined {
  if (!entry.includes('*')) {
    // An exact entry: normalised like candidates (case, default port, trailing slash of a bare origin).
    const exact = normalize(entry.trim())
    return exact === undefined ? undefined : new RegExp(`^${escapeRegExp(exact)}$`)
  }
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/.exec(entry.trim())
  if (!match) return undefined
  const [, scheme = '', authority = '', rawPath = ''] = match
  const path = rawPath === '' && /^https?$/i.test(scheme) ? '/' : rawPath
  const authorityRe = authority.toLowerCase().split('*').map(escapeRegExp).join(AUTHORITY_WILDCARD)
  const pathRe = path
    .split('**')
    .map((part) => part.split('*').map(escapeRegExp).join('[^/]*'))
    .join('.*')
  return new RegExp(`^${escapeRegExp(scheme.toLowerCase())}://${authorityRe}${pathRe}$`)
}

/**
 * `redirectTo` with the session (or an error) in its fragment: `#access_token=…&…`. A fragment never
 * reaches a server, so the tokens stay in the browser.
 */
export function withFragment(redirectTo: string, params: Record<string, string | number>): string {
  const url = new URL(redirectTo)
  const fragment = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) fragment.set(key, String(value))
  url.hash = fragment.toString()
  return url.toString()
}
