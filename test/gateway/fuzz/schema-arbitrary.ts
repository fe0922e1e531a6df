import fc from 'fast-check'

/** The parts of a JSON Schema (as /openapi.json publishes them) the generators read. */
export interface Schema {
  $ref?: string
  type?: string | string[]
  enum?: unknown[]
  const?: unknown
  format?: string
  pattern?: string
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  exclusiveMaximum?: number
  items?: Schema | boolean
  prefixItems?: Schema[]
  minItems?: number
  maxItems?: number
  properties?: Record<string, Schema>
  required?: string[]
  additionalProperties?: Schema | boolean
  anyOf?: Schema[]
  oneOf?: Schema[]
  allOf?: Schema[]
}

/** Resolves `#/components/schemas/X` references against the document. */
export type Resolve = (ref: string) => Schema | undefined

/** Strings that have broken servers before: coercions, encodings, traversal, NUL, lone surrogates. */
export const NASTY_STRINGS = [
  '',
  ' ',
  'Infinity',
  '-Infinity',
  'NaN',
  '1e400',
  '-1e400',
  '9'.repeat(400),
  '0x10',
  '-0',
  'true',
  'null',
  '[]',
  '{}',
  '%',
  '%00',
  '%zz',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '../../etc/passwd',
  '.%2e/.%2e',
  '..\\..\\',
  '__proto__',
  'constructor',
  'prototype',
  "' OR 1=1 --",
  '$where',
  '<script>',
  'é'.normalize('NFD'),
  '😀',
  'a'.repeat(5000),
  '2026-13-45T99:99:99Z',
]

/** A JSON value of any shape, small: what an invalid field is replaced with. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...NASTY_STRINGS),
  fc.constantFrom(null, true, false, 0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308),
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), {
    maxKeys: 3,
  }),
)

const MAX_DEPTH = 4

function stringFor(schema: Schema): fc.Arbitrary<string> {
  const minLength = schema.minLength ?? 0
  const maxLength = Math.min(schema.maxLength ?? 24, minLength + 24)
  switch (schema.format) {
    case 'email':
      return fc.emailAddress()
    case 'uri':
    case 'url':
      return fc.webUrl()
    case 'date-time':
      return fc
        .date({
          min: new Date('2000-01-01T00:00:00Z'),
          max: new Date('2100-01-01T00:00:00Z'),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString())
    case 'uuid':
      return fc.uuid()
  }
  if (schema.pattern) {
    try {
      return fc
        .stringMatching(new RegExp(schema.pattern))
        .filter((s) => s.length >= minLength && s.length <= (schema.maxLength ?? Number.MAX_SAFE_INTEGER))
    } catch {
      // A pattern fast-check cannot generate from: plain strings (mostly invalid, which is fine).
    }
  }
  return fc.string({ minLength, maxLength })
}

function numberFor(schema: Schema, integer: boolean): fc.Arbitrary<number> {
  const low = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : -1000)
  const high =
    schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : low + 2000)
  const min = Math.min(low, high)
  const max = Math.max(low, high)
  if (integer) {
    return fc.integer({ min: Math.ceil(Math.max(min, -(2 ** 31))), max: Math.floor(Math.min(max, 2 ** 31)) })
  }
  return fc.double({ min, max, noNaN: true, noDefaultInfinity: true })
}

/**
 * Values `schema` accepts (most of the time: patterns, formats and combinations are approximated).
 * References are resolved up to a depth, past which the value is `null`.
 */
export function valid(
  schema: Schema | boolean | undefined,
  resolve: Resolve,
  depth = 0,
): fc.Arbitrary<unknown> {
  if (schema === undefined || schema === true) return anyJson
  if (schema === false) return fc.constant(null)
  if (depth > MAX_DEPTH) return fc.constant(null)
  if (schema.$ref) return valid(resolve(schema.$ref), resolve, depth + 1)
  if (schema.const !== undefined) return fc.constant(schema.const)
  if (schema.enum?.length) return fc.constantFrom(...schema.enum)
  const union = schema.oneOf ?? schema.anyOf
  if (union?.length) return fc.oneof(...union.map((s) => valid(s, resolve, depth + 1)))
  if (schema.allOf?.length) {
    return valid(
      Object.assign({}, ...schema.allOf.map((s) => (s.$ref ? resolve(s.$ref) : s))),
      resolve,
      depth + 1,
    )
  }
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : []
  if (types.length > 1) return fc.oneof(...types.map((type) => valid({ ...schema, type }, resolve, depth)))
  switch (types[0]) {
    case 'string':
      return stringFor(schema)
    case 'integer':
      return numberFor(schema, true)
    case 'number':
      return numberFor(schema, false)
    case 'boolean':
      return fc.boolean()
    case 'null':
      return fc.constant(null)
    case 'array': {
      if (schema.prefixItems) return fc.tuple(...schema.prefixItems.map((s) => valid(s, resolve, depth + 1)))
      const minLength = schema.minItems ?? 0
      const maxLength = Math.min(schema.maxItems ?? 3, minLength + 3)
      return fc.array(valid(schema.items, resolve, depth + 1), { minLength, maxLength })
    }
    default: {
      if (!schema.properties && types[0] !== 'object') return anyJson
      const properties = schema.properties ?? {}
      const required = new Set(schema.required ?? [])
      const record = Object.fromEntries(
        Object.entries(properties).map(([key, s]) => [key, valid(s, resolve, depth + 1)]),
      )
      return fc
        .record(record, { requiredKeys: [...required].filter((key) => key in properties) })
        .map((value) => {
          // Required properties with no schema of their own still have to be there.
          for (const key of required) if (!(key in value)) (value as Record<string, unknown>)[key] = 'x'
          return value
        })
    }
  }
}

/**
 * Values that break `schema` somewhere: a wrong type, a nasty string, a dropped required property, an
 * unknown property, a value out of range; or any JSON at all.
 */
export function invalid(schema: Schema | undefined, resolve: Resolve): fc.Arbitrary<unknown> {
  const resolved = schema?.$ref ? resolve(schema.$ref) : schema
  const base = valid(resolved, resolve)
  const mutations: fc.Arbitrary<unknown>[] = [anyJson]
  if (resolved?.properties) {
    const keys = Object.keys(resolved.properties)
    mutations.push(
      fc
        .tuple(base, fc.constantFrom(...keys), anyJson)
        .map(([value, key, bad]) => (value && typeof value === 'object' ? { ...value, [key]: bad } : value)),
      fc.tuple(base, fc.constantFrom(...keys)).map(([value, key]) => {
        if (!value || typeof value !== 'object') return value
        const { [key]: _dropped, ...rest } = value as Record<string, unknown>
        return rest
      }),
      fc
        .tuple(base, fc.constantFrom('__proto__', 'constructor', 'unknownField', ''), anyJson)
        .map(([value, key, bad]) =>
          value && typeof value === 'object' ? JSON.parse(JSON.stringify({ ...value, [key]: bad })) : value,
        ),
    )
  }
  return fc.oneof(...mutations)
}
