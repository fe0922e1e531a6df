/**
 * JSON with positions: parses text like JSON.parse, and remembers where each value (and each object
 * key) sits, by JSON Pointer (`/address/city`, `/tags/0`), so a schema error can be marked at its place
 * in the editor. A syntax error comes with its offset.
 */

/** Where a value sits: [start, end) offsets; for an object member, its key too. */
export interface Span {
  start: number
  end: number
  keyStart?: number
  keyEnd?: number
  /** An object or an array. */
  container?: boolean
}

export type Located =
  | { ok: true; value: unknown; spans: Map<string, Span> }
  | { ok: false; message: string; offset: number }

class JsonSyntaxError extends Error {
  readonly offset: number
  constructor(message: string, offset: number) {
    super(message)
    this.offset = offset
  }
}

/** A JSON Pointer segment (`~` → `~0`, `/` → `~1`). */
export function pointerSegment(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1')
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON forbids raw control characters in strings.
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y

export function locateJson(text: string): Located {
  const spans = new Map<string, Span>()
  let i = 0

  const fail = (message: string, at = i): never => {
    throw new JsonSyntaxError(message, at)
  }
  const skip = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++
  }
  const describe = (at: number) => (at >= text.length ? 'the end of the text' : `${JSON.stringify(text[at])}`)

  function string(): string {
    STRING.lastIndex = i
    const match = STRING.exec(text)
    if (!match) {
      // Find where the string goes wrong, to mark that place.
      let j = i + 1
      while (j < text.length && text[j] !== '"' && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1
      return fail(j >= text.length || text[j] === '\n' ? 'Unterminated string' : 'Bad escape in string', j)
    }
    i += match[0].length
    return JSON.parse(match[0]) as string
  }

  function value(pointer: string, keySpan?: { keyStart: number; keyEnd: number }): unknown {
    skip()
    const start = i
    const ch = text[i]
    let result: unknown
    if (ch === '{') {
      i++
      const object: Record<string, unknown> = {}
      skip()
      if (text[i] === '}') i++
      else {
        for (;;) {
          skip()
          if (text[i] !== '"') fail(`Expected a property name in double quotes, found ${describe(i)}`)
          const keyStart = i
          const key = string()
          const keyEnd = i
          skip()
          if (text[i] !== ':') fail(`Expected ':' after the property name, found ${describe(i)}`)
          i++
          object[key] = value(`${pointer}/${pointerSegment(key)}`, { keyStart, keyEnd })
          skip()
          if (text[i] === ',') {
            i++
            continue
          }
          if (text[i] === '}') {
            i++
            break
          }
          fail(`Expected ',' or '}' after a property value, found ${describe(i)}`)
        }
      }
      result = object
    } else if (ch === '[') {
      i++
      const array: unknown[] = []
      skip()
      if (text[i] === ']') i++
      else {
        for (;;) {
          array.push(value(`${pointer}/${array.length}`))
          skip()
          if (text[i] === ',') {
            i++
            continue
          }
          if (text[i] === ']') {
            i++
            break
          }
          fail(`Expected ',' or ']' after an array element, found ${describe(i)}`)
        }
      }
      result = array
    } else if (ch === '"') {
      result = string()
    } else if (text.startsWith('true', i)) {
      i += 4
      result = true
    } else if (text.startsWith('false', i)) {
      i += 5
      result = false
    } else if (text.startsWith('null', i)) {
      i += 4
      result = null
    } else {
      NUMBER.lastIndex = i
      const match = NUMBER.exec(text)
      if (!match) fail(`Unexpected ${describe(i)}: expected a JSON value`)
      i += match![0].length
      result = Number(match![0])
    }
    spans.set(pointer, {
      start,
      end: i,
      ...keySpan,
      ...(ch === '{' || ch === '[' ? { container: true } : {}),
    })
    return result
  }

  try {
    const result = value('')
    skip()
    if (i < text.length) fail(`Unexpected ${describe(i)} after the JSON value`)
    return { ok: true, value: result, spans }
  } catch (error) {
    if (error instanceof JsonSyntaxError) return { ok: false, message: error.message, offset: error.offset }
    throw error
  }
}

/**
 * Where to mark a problem at `pointer`: the value's span, or, for a property that should not be there,
 * its key; for a missing property, the object that lacks it. Falls back to the nearest parent.
 */
export function spanOf(spans: Map<string, Span>, pointer: string, property?: string): Span {
  if (property !== undefined) {
    const member = spans.get(`${pointer}/${pointerSegment(property)}`)
    if (member?.keyStart !== undefined) return { start: member.keyStart, end: member.keyEnd ?? member.end }
  }
  let path = pointer
  for (;;) {
    const span = spans.get(path)
    if (span) {
      if (!span.container) return span
      // An object or array is marked by its key, or its opening bracket: not its whole (long) body.
      if (span.keyStart !== undefined) return { start: span.keyStart, end: span.keyEnd ?? span.start + 1 }
      return { start: span.start, end: span.start + 1 }
    }
    if (path === '') return { start: 0, end: 0 }
    path = path.slice(0, path.lastIndexOf('/'))
  }
}
