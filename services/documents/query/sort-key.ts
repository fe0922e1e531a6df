/**
 * The in-memory twin of the SQL function `stratus_sort_key(jsonb)` (see the documents migration): an
 * order-preserving string key for any JSON value. Comparing two keys by code point (`compareKeys`)
 * orders the values in the database's documented total order:
 *
 *   missing < null < false < true < numbers < strings < arrays < objects
 *
 * numbers by value, strings by code point (UTF-8 byte order), arrays element by element (a prefix
 * first), objects by their (key, value) pairs in key order (a prefix first). Filters and sorts compare
 * keys in SQL and here alike, which is what makes `matchesWhere` agree with the database.
 */

/** The key of a missing field (the lowest of all). */
export const MISSING_KEY = '0'

const STRING_END = '\u0001\u0001'

function escapeString(value: string): string {
  return value.includes('\u0001') ? value.replaceAll('\u0001', '\u0001\u0002') : value
}

/**
 * A finite number: sign class ('0' negative, '1' zero, '2' positive), then a 4-digit decimal exponent
 * and the significant digits (inverted for negatives), ended by '!' or '~'. The digits are the
 * shortest round-trip ones, which are also the digits Postgres keeps when it parses the JSON we send.
 */
function numberKey(value: number): string {
  if (value === 0) return '1'
  const [mantissa, exponent] = Math.abs(value).toExponential().split('e') as [string, string]
  const digits = mantissa.replace('.', '').replace(/0+$/, '')
  const e = Number(exponent) + 1
  if (value > 0) return `2${String(e + 5000).padStart(4, '0')}${digits}!`
  let inverted = ''
  for (const digit of digits) inverted += String(9 - Number(digit))
  return `0${String(4999 - e).padStart(4, '0')}${inverted}~`
}

/** The sort key of a JSON value; `undefined` (a missing field) keys lowest. */
export function sortKey(value: unknown): string {
  switch (typeof value) {
    case 'undefined':
      return MISSING_KEY
    case 'boolean':
      return value ? '21' : '20'
    case 'number':
      return `3${numberKey(value)}`
    case 'string':
      return `4${escapeString(value)}${STRING_END}`
    case 'object': {
      if (value === null) return '1'
      if (Array.isArray(value)) {
        let key = '5'
        for (const element of value) key += sortKey(element)
        return `${key}0`
      }
      const record = value as Record<string, unknown>
      let key = '6'
      for (const name of Object.keys(record).sort(compareKeys)) {
        key += `1${escapeString(name)}${STRING_END}${sortKey(record[name])}`
      }
      return `${key}0`
    }
    default:
      throw new TypeError(`not a JSON value: ${typeof value}`)
  }
}

// UTF-16 code units compare like code points except that surrogates (code points above U+FFFF) must
// sort after U+E000-U+FFFF: shift both ranges when two differing units both lie there.
function codePointOrder(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000
}

/** Compares two strings by code point (= UTF-8 byte order = COLLATE "C"): negative, 0 or positive. */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i)
    let y = b.charCodeAt(i)
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        x = codePointOrder(x)
        y = codePointOrder(y)
      }
      return x < y ? -1 : 1
    }
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1
}

/** Compares two JSON values (`undefined` = missing) in the total order. */
export function compareValues(a: unknown, b: unknown): number {
  return compareKeys(sortKey(a), sortKey(b))
}

/** The type class of a key: its first character ('0' missing … '6' object). */
export function keyRank(key: string): string {
  return key.charAt(0)
}

/** The first key of the next type class: every key of `rank`'s class sorts below it. */
export function nextRank(rank: string): string {
  return String.fromCharCode(rank.charCodeAt(0) + 1)
}
