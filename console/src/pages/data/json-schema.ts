import { pointerSegment } from './json-locate.ts'

/**
 * JSON Schema (draft-07, as the server's ajv applies it) checked by interpretation.
 *
 * Why not ajv itself: ajv compiles each schema into a function with `new Function`, which the console's
 * Content-Security-Policy (`script-src 'self'`, no `unsafe-eval`) rightly forbids. This walks the schema
 * instead, and reports errors shaped like ajv's (`instancePath`, `keyword`, `message`, `params`, the same
 * messages); json-schema.test.ts checks it against ajv on the keywords below. The server stays the
 * judge: a write it refuses (422) is shown the same way.
 *
 * Keywords: type, enum, const, multipleOf, maximum, exclusiveMaximum, minimum, exclusiveMinimum,
 * maxLength, minLength, pattern, format, items, additionalItems, maxItems, minItems, uniqueItems,
 * contains, maxProperties, minProperties, required, properties, patternProperties,
 * additionalProperties, dependencies, propertyNames, if/then/else, allOf, anyOf, oneOf, not, $ref
 * (within the schema: `#`, `#/definitions/…`, `#/$defs/…`), boolean schemas.
 */

export interface SchemaError {
  /** JSON Pointer to the value, as ajv's `instancePath` ('' for the whole document). */
  instancePath: string
  keyword: string
  message: string
  params: Record<string, unknown>
}

type Schema = boolean | Record<string, unknown>

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Deep equality of JSON values (as `enum`, `const` and `uniqueItems` compare). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]))
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a)
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && jsonEqual(a[k], b[k]))
  }
  return false
}

function typeMatches(value: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null
    case 'boolean':
      return typeof value === 'boolean'
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value)
    case 'string':
      return typeof value === 'string'
    case 'array':
      return Array.isArray(value)
    case 'object':
      return isObject(value)
    default:
      return false
  }
}

/** Length in code points, as ajv counts it (an emoji is one character). */
const length = (text: string) => [...text].length

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const TIME = /^(\d{2}):(\d{2}):(\d{2}(?:\.\d+)?)(z|[+-]\d{2}(?::?\d{2})?)$/i

function validDate(text: string): boolean {
  const m = DATE.exec(text)
  if (!m) return false
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
  return month >= 1 && month <= 12 && day >= 1 && day <= (days ?? 0)
}

function validTime(text: string): boolean {
  const m = TIME.exec(text)
  if (!m) return false
  const [hour, minute, second] = [Number(m[1]), Number(m[2]), Number(m[3])]
  return hour <= 23 && minute <= 59 && second < 61
}

/** The formats ajv-formats checks (its "full" mode, which the server uses), the common ones. */
const FORMATS: Record<string, (text: string) => boolean> = {
  date: validDate,
  time: validTime,
  'date-time': (text) => {
    const parts = text.split(/t|\s/i)
    return parts.length === 2 && validDate(parts[0]!) && validTime(parts[1]!)
  },
  email: (text) =>
    /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i.test(
      text,
    ),
  hostname: (text) =>
    /^(?=.{1,253}\.?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[-0-9a-z]{0,61}[0-9a-z])?)*\.?$/i.test(
      text,
    ),
  ipv4: (text) =>
    /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/.test(text),
  ipv6: (text) => {
    try {
      return text.includes(':') && new URL(`http://[${text}]/`).hostname.length > 0
    } catch {
      return false
    }
  },
  uri: (text) => /^[a-z][a-z0-9+\-.]*:[^\s]*$/i.test(text) && !/\s/.test(text),
  'uri-reference': (text) => !/\s/.test(text),
  uuid: (text) => /^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(text),
  regex: (text) => {
    try {
      new RegExp(text, 'u')
      return true
    } catch {
      return false
    }
  },
  'json-pointer': (text) => /^(?:\/(?:[^~/]|~0|~1)*)*$/.test(text),
}

function resolvePointer(root: Schema, ref: string): Schema | undefined {
  if (ref === '#') return root
  if (!ref.startsWith('#/')) return undefined
  let node: unknown = root
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~')
    if (!isObject(node) && !Array.isArray(node)) return undefined
    node = (node as Record<string, unknown>)[key]
  }
  return typeof node === 'boolean' || isObject(node) ? node : undefined
}

/** Validates `value` against `schema`; every error (ajv's `allErrors`), in schema order. */
export function validateSchema(schema: Schema, value: unknown): SchemaError[] {
  const errors: SchemaError[] = []
  const regexes = new Map<string, RegExp | null>()
  const regex = (source: string) => {
    if (!regexes.has(source)) {
      try {
        regexes.set(source, new RegExp(source, 'u'))
      } catch {
        regexes.set(source, null)
      }
    }
    return regexes.get(source) ?? null
  }

  function check(node: Schema, data: unknown, path: string, out: SchemaError[], depth: number): void {
    const error = (keyword: string, message: string, params: Record<string, unknown> = {}) =>
      out.push({ instancePath: path, keyword, message, params })
    if (depth > 64) return
    if (node === true) return
    if (node === false) {
      error('false schema', 'boolean schema is false')
      return
    }
    const s = node
    if (typeof s.$ref === 'string') {
      const target = resolvePointer(schema, s.$ref)
      if (target !== undefined) check(target, data, path, out, depth + 1)
    }
    if (s.type !== undefined) {
      const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string]
      if (!types.some((type) => typeMatches(data, type))) {
        error('type', `must be ${types.join(',')}`, { type: Array.isArray(s.type) ? types : types[0] })
      }
    }
    if (Array.isArray(s.enum) && !s.enum.some((allowed) => jsonEqual(allowed, data))) {
      error('enum', 'must be equal to one of the allowed values', { allowedValues: s.enum })
    }
    if ('const' in s && !jsonEqual(s.const, data)) {
      error('const', 'must be equal to constant', { allowedValue: s.const })
    }
    if (typeof data === 'number') checkNumber(s, data, error)
    if (typeof data === 'string') checkString(s, data, error)
    if (Array.isArray(data)) checkArray(s, data, path, out, depth, error)
    if (isObject(data)) checkObject(s, data, path, out, depth, error)
    if (s.if !== undefined) {
      const probe: SchemaError[] = []
      check(s.if as Schema, data, path, probe, depth + 1)
      const branch = probe.length === 0 ? 'then' : 'else'
      if (s[branch] !== undefined) {
        const inner: SchemaError[] = []
        check(s[branch] as Schema, data, path, inner, depth + 1)
        if (inner.length > 0) {
          out.push(...inner)
          error('if', `must match "${branch}" schema`, { failingKeyword: branch })
        }
      }
    }
    if (Array.isArray(s.allOf)) for (const sub of s.allOf) check(sub as Schema, data, path, out, depth + 1)
    if (Array.isArray(s.anyOf)) {
      const inner: SchemaError[] = []
      const passed = (s.anyOf as Schema[]).some((sub) => {
        const mine: SchemaError[] = []
        check(sub, data, path, mine, depth + 1)
        inner.push(...mine)
        return mine.length === 0
      })
      if (!passed) {
        out.push(...inner)
        error('anyOf', 'must match a schema in anyOf')
      }
    }
    if (Array.isArray(s.oneOf)) {
      const inner: SchemaError[] = []
      const passing: number[] = []
      ;(s.oneOf as Schema[]).forEach((sub, i) => {
        const mine: SchemaError[] = []
        check(sub, data, path, mine, depth + 1)
        if (mine.length === 0) passing.push(i)
        else inner.push(...mine)
      })
      if (passing.length !== 1) {
        if (passing.length === 0) out.push(...inner)
        error('oneOf', 'must match exactly one schema in oneOf', {
          passingSchemas: passing.length === 0 ? null : passing.slice(0, 2),
        })
      }
    }
    if (s.not !== undefined) {
      const inner: SchemaError[] = []
      check(s.not as Schema, data, path, inner, depth + 1)
      if (inner.length === 0) error('not', 'must NOT be valid')
    }
  }

  type Report = (keyword: string, message: string, params?: Record<string, unknown>) => void

  function checkNumber(s: Record<string, unknown>, n: number, error: Report): void {
    const bound = (keyword: string, op: string, limit: unknown, ok: (limit: number) => boolean) => {
      if (typeof limit === 'number' && !ok(limit))
        error(keyword, `must be ${op} ${limit}`, { comparison: op, limit })
    }
    bound('maximum', '<=', s.maximum, (limit) => n <= limit)
    bound('minimum', '>=', s.minimum, (limit) => n >= limit)
    bound('exclusiveMaximum', '<', s.exclusiveMaximum, (limit) => n < limit)
    bound('exclusiveMinimum', '>', s.exclusiveMinimum, (limit) => n > limit)
    if (typeof s.multipleOf === 'number' && s.multipleOf > 0) {
      const quotient = n / s.multipleOf
      if (Math.abs(Math.round(quotient) - quotient) > 1e-9) {
        error('multipleOf', `must be multiple of ${s.multipleOf}`, { multipleOf: s.multipleOf })
      }
    }
  }

  function checkString(s: Record<string, unknown>, text: string, error: Report): void {
    if (typeof s.maxLength === 'number' && length(text) > s.maxLength) {
      error('maxLength', `must NOT have more than ${s.maxLength} characters`, { limit: s.maxLength })
    }
    if (typeof s.minLength === 'number' && length(text) < s.minLength) {
      error('minLength', `must NOT have fewer than ${s.minLength} characters`, { limit: s.minLength })
    }
    if (typeof s.pattern === 'string') {
      const pattern = regex(s.pattern)
      if (pattern && !pattern.test(text)) {
        error('pattern', `must match pattern "${s.pattern}"`, { pattern: s.pattern })
      }
    }
    if (typeof s.format === 'string') {
      const test = FORMATS[s.format]
      if (test && !test(text)) error('format', `must match format "${s.format}"`, { format: s.format })
    }
  }

  function checkArray(
    s: Record<string, unknown>,
    items: unknown[],
    path: string,
    out: SchemaError[],
    depth: number,
    error: Report,
  ): void {
    if (typeof s.maxItems === 'number' && items.length > s.maxItems) {
      error('maxItems', `must NOT have more than ${s.maxItems} items`, { limit: s.maxItems })
    }
    if (typeof s.minItems === 'number' && items.length < s.minItems) {
      error('minItems', `must NOT have fewer than ${s.minItems} items`, { limit: s.minItems })
    }
    if (Array.isArray(s.items)) {
      const tuple = s.items as Schema[]
      tuple.forEach((sub, i) => {
        if (i < items.length) check(sub, items[i], `${path}/${i}`, out, depth + 1)
      })
      if (s.additionalItems === false && items.length > tuple.length) {
        error('additionalItems', `must NOT have more than ${tuple.length} items`, { limit: tuple.length })
      } else if (isObject(s.additionalItems)) {
        for (let i = tuple.length; i < items.length; i++) {
          check(s.additionalItems, items[i], `${path}/${i}`, out, depth + 1)
        }
      }
    } else if (s.items !== undefined) {
      for (const [i, item] of items.entries()) check(s.items as Schema, item, `${path}/${i}`, out, depth + 1)
    }
    if (s.uniqueItems === true) {
      // ajv reports the last duplicate pair it meets scanning from the end.
      outer: for (let i = items.length - 1; i > 0; i--) {
        for (let j = i - 1; j >= 0; j--) {
          if (jsonEqual(items[i], items[j])) {
            error('uniqueItems', `must NOT have duplicate items (items ## ${i} and ${j} are identical)`, {
              i,
              j,
            })
            break outer
          }
        }
      }
    }
    if (s.contains !== undefined) {
      const inner: SchemaError[] = []
      const some = items.some((item, i) => {
        const mine: SchemaError[] = []
        check(s.contains as Schema, item, `${path}/${i}`, mine, depth + 1)
        inner.push(...mine)
        return mine.length === 0
      })
      if (!some) {
        out.push(...inner)
        error('contains', 'must contain at least 1 valid item(s)', { minContains: 1 })
      }
    }
  }

  function checkObject(
    s: Record<string, unknown>,
    object: Record<string, unknown>,
    path: string,
    out: SchemaError[],
    depth: number,
    error: Report,
  ): void {
    const keys = Object.keys(object)
    if (typeof s.maxProperties === 'number' && keys.length > s.maxProperties) {
      error('maxProperties', `must NOT have more than ${s.maxProperties} properties`, {
        limit: s.maxProperties,
      })
    }
    if (typeof s.minProperties === 'number' && keys.length < s.minProperties) {
      error('minProperties', `must NOT have fewer than ${s.minProperties} properties`, {
        limit: s.minProperties,
      })
    }
    if (Array.isArray(s.required)) {
      for (const name of s.required as string[]) {
        if (!(name in object)) {
          error('required', `must have required property '${name}'`, { missingProperty: name })
        }
      }
    }
    if (isObject(s.dependencies)) {
      for (const [name, dependency] of Object.entries(s.dependencies)) {
        if (!(name in object)) continue
        if (Array.isArray(dependency)) {
          const missing = (dependency as string[]).filter((other) => !(other in object))
          for (const other of missing) {
            error('dependencies', `must have property ${other} when property ${name} is present`, {
              property: name,
              missingProperty: other,
              depsCount: dependency.length,
              deps: dependency.join(', '),
            })
          }
        } else check(dependency as Schema, object, path, out, depth + 1)
      }
    }
    if (s.propertyNames !== undefined) {
      for (const key of keys) {
        const inner: SchemaError[] = []
        check(s.propertyNames as Schema, key, path, inner, depth + 1)
        if (inner.length > 0) {
          out.push(...inner.map((e) => ({ ...e, params: { ...e.params, propertyName: key } })))
          error('propertyNames', 'property name must be valid', { propertyName: key })
        }
      }
    }
    const properties = isObject(s.properties) ? s.properties : {}
    const patterns = isObject(s.patternProperties) ? Object.entries(s.patternProperties) : []
    for (const key of keys) {
      const child = `${path}/${pointerSegment(key)}`
      const known = key in properties
      if (known) check(properties[key] as Schema, object[key], child, out, depth + 1)
      let matched = false
      for (const [source, sub] of patterns) {
        if (regex(source)?.test(key)) {
          matched = true
          check(sub as Schema, object[key], child, out, depth + 1)
        }
      }
      if (known || matched || s.additionalProperties === undefined || s.additionalProperties === true)
        continue
      if (s.additionalProperties === false) {
        error('additionalProperties', 'must NOT have additional properties', { additionalProperty: key })
      } else check(s.additionalProperties as Schema, object[key], child, out, depth + 1)
    }
  }

  check(schema, value, '', errors, 0)
  return errors
}

/** Whether `value` can be used as a schema here (an object or a boolean). */
export function isSchema(value: unknown): value is Schema {
  return typeof value === 'boolean' || isObject(value)
}
