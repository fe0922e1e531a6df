import { Ajv } from 'ajv'
import addFormatsPlugin from 'ajv-formats'
import { describe, expect, it } from 'vitest'
import { checkDocument, serverProblems } from './document-problems.ts'
import { validateSchema } from './json-schema.ts'

// The server validates with ajv (draft-07, allErrors, ajv-formats); the console interprets the schema
// (its CSP forbids ajv's generated code). Here both judge the same cases and must agree.
const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => Ajv
const ajv = addFormats(new Ajv({ allErrors: true, strict: false }))

const PERSON = {
  type: 'object',
  required: ['name', 'age'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 2, maxLength: 20, pattern: '^[A-Z]' },
    age: { type: 'integer', minimum: 0, exclusiveMaximum: 150 },
    email: { type: 'string', format: 'email' },
    born: { type: 'string', format: 'date' },
    role: { enum: ['admin', 'user'] },
    kind: { const: 'person' },
    score: { type: 'number', multipleOf: 0.5, maximum: 10, exclusiveMinimum: -1 },
    tags: { type: 'array', items: { type: 'string' }, uniqueItems: true, minItems: 1, maxItems: 3 },
    pair: { type: 'array', items: [{ type: 'string' }, { type: 'number' }], additionalItems: false },
    address: { $ref: '#/definitions/address' },
    nick: { type: ['string', 'null'] },
    any: { anyOf: [{ type: 'string' }, { type: 'number' }] },
    one: { oneOf: [{ type: 'number' }, { type: 'integer' }] },
    not: { not: { type: 'string' } },
    list: { type: 'array', contains: { const: 1 } },
    meta: {
      type: 'object',
      minProperties: 1,
      maxProperties: 2,
      propertyNames: { pattern: '^[a-z]+$' },
      patternProperties: { '^x': { type: 'number' } },
      dependencies: { a: ['b'] },
    },
    shape: {
      type: 'object',
      if: { properties: { kind: { const: 'circle' } } },
      // biome-ignore lint/suspicious/noThenProperty: a JSON Schema keyword.
      then: { required: ['radius'] },
      else: { required: ['side'] },
    },
    all: { allOf: [{ minimum: 1 }, { maximum: 5 }] },
  },
  definitions: {
    address: {
      type: 'object',
      required: ['city'],
      properties: { city: { type: 'string' }, zip: { type: 'string', pattern: '^\\d{5}$' } },
    },
  },
}

const CASES: [string, unknown][] = [
  ['valid', { name: 'Ada', age: 36, email: 'ada@example.com', born: '1815-12-10', tags: ['x'] }],
  ['missing required', {}],
  ['wrong types', { name: 3, age: 'old' }],
  ['string bounds and pattern', { name: 'a', age: 1 }],
  ['long name', { name: 'A'.repeat(21), age: 1 }],
  ['number bounds', { name: 'Ada', age: -1, score: 10.5 }],
  ['exclusive bounds', { name: 'Ada', age: 150, score: -1 }],
  ['multipleOf', { name: 'Ada', age: 1, score: 0.3 }],
  ['integer', { name: 'Ada', age: 1.5 }],
  ['extra property', { name: 'Ada', age: 1, extra: true }],
  ['formats', { name: 'Ada', age: 1, email: 'not an email', born: '2021-02-30' }],
  ['enum and const', { name: 'Ada', age: 1, role: 'root', kind: 'robot' }],
  ['arrays', { name: 'Ada', age: 1, tags: ['a', 'a', 3, 'b'] }],
  ['empty array', { name: 'Ada', age: 1, tags: [] }],
  ['tuple', { name: 'Ada', age: 1, pair: [1, 'x', 3] }],
  ['ref', { name: 'Ada', age: 1, address: { zip: '123' } }],
  ['nullable', { name: 'Ada', age: 1, nick: 3 }],
  ['anyOf', { name: 'Ada', age: 1, any: true }],
  ['oneOf twice', { name: 'Ada', age: 1, one: 3 }],
  ['oneOf none', { name: 'Ada', age: 1, one: 'x' }],
  ['not', { name: 'Ada', age: 1, not: 'text' }],
  ['contains', { name: 'Ada', age: 1, list: [2, 3] }],
  ['object keywords', { name: 'Ada', age: 1, meta: { a: 1, Bad: 2, x1: 'no' } }],
  ['empty object', { name: 'Ada', age: 1, meta: {} }],
  ['if then', { name: 'Ada', age: 1, shape: { kind: 'circle' } }],
  ['if else', { name: 'Ada', age: 1, shape: { kind: 'square' } }],
  ['allOf', { name: 'Ada', age: 1, all: 9 }],
  ['not an object', [1, 2]],
]

type Brief = { instancePath: string; keyword: string; message?: string }
const brief = (errors: readonly Brief[]) =>
  errors.map((e) => `${e.instancePath} ${e.keyword}: ${e.message}`).sort()

describe('schema validation (the console’s interpreter against ajv)', () => {
  const validate = ajv.compile(PERSON)
  it.each(CASES)('agrees with ajv: %s', (_name, value) => {
    validate(value)
    expect(brief(validateSchema(PERSON, value))).toEqual(brief(validate.errors ?? []))
  })

  it('accepts boolean schemas and an empty one', () => {
    expect(validateSchema(true, { a: 1 })).toEqual([])
    expect(validateSchema({}, 3)).toEqual([])
    expect(validateSchema(false, 1).map((e) => e.keyword)).toEqual(['false schema'])
  })
})

describe('document problems', () => {
  const schema = {
    type: 'object',
    required: ['name'],
    additionalProperties: false,
    properties: { age: { type: 'integer', minimum: 0 }, name: { type: 'string' } },
  }

  it('marks a syntax error at its offset', () => {
    const text = '{\n  "age": 3,\n  "name" "x"\n}'
    const { data, problems } = checkDocument(text, schema)
    expect(data).toBeNull()
    expect(problems).toHaveLength(1)
    expect(problems[0]!.offset).toBe(text.indexOf('"x"'))
    expect(problems[0]!.message).toMatch(/Expected ':'/)
  })

  it('marks schema errors at the value, the unknown key, or the object missing a property', () => {
    const text = '{\n  "age": -4,\n  "nick": "x"\n}'
    const { data, problems } = checkDocument(text, schema)
    expect(data).toBeNull()
    const at = (message: RegExp) => problems.find((p) => message.test(p.message))
    expect(at(/\/age must be >= 0/)).toMatchObject({
      offset: text.indexOf('-4'),
      endOffset: text.indexOf('-4') + 2,
    })
    expect(at(/additional properties/)).toMatchObject({ offset: text.indexOf('"nick"') })
    expect(at(/required property 'name'/)).toMatchObject({ offset: 0, endOffset: 1 })
  })

  it('passes valid data, and refuses data that is not an object', () => {
    expect(checkDocument('{"name": "Ada", "age": 3}', schema)).toEqual({
      data: { name: 'Ada', age: 3 },
      problems: [],
    })
    expect(checkDocument('[1]', null).problems[0]?.message).toMatch(/JSON object/)
    expect(checkDocument('{"anything": [1, {"b": null}]}', null).problems).toEqual([])
  })

  it('marks the errors of a 422 at their place in the text that was sent', () => {
    const text = '{"age": "x"}'
    const [problem] = serverProblems(text, [{ path: '/age', message: 'must be integer', keyword: 'type' }])
    expect(problem).toMatchObject({ offset: text.indexOf('"x"'), message: '/age must be integer' })
  })
})
