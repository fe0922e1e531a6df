import type { FastifyInstance, FastifyRequest, preHandlerHookHandler, RouteOptions } from 'fastify'

/** The parts of a request a route schema validates (and ajv coerces) that can carry numbers. */
const PARTS = [
  ['querystring', 'query'],
  ['params', 'params'],
  ['body', 'body'],
] as const

type Part = (typeof PARTS)[number][0]

/**
 * True when `schema` may let a number through: it names a `number` or `integer` type somewhere, or
 * refers to another schema (`$ref`), which is not resolved here and so is assumed to.
 */
function mayHoldNumbers(schema: unknown): boolean {
  const stack: unknown[] = [schema]
  while (stack.length) {
    const node = stack.pop()
    if (!node || typeof node !== 'object') continue
    if (Array.isArray(node)) {
      stack.push(...node)
      continue
    }
    const { type, $ref } = node as { type?: unknown; $ref?: unknown }
    if ($ref !== undefined) return true
    const types = Array.isArray(type) ? type : [type]
    if (types.includes('number') || types.includes('integer')) return true
    stack.push(...Object.values(node))
  }
  return false
}

const pointerSegment = (key: string | number) => String(key).replaceAll('~', '~0').replaceAll('/', '~1')

/** The JSON pointer of the first number in `value` that is not finite, or undefined. Iterative: bodies may be deep. */
function firstNonFinite(value: unknown): string | undefined {
  const stack: { value: unknown; path: string }[] = [{ value, path: '' }]
  while (stack.length) {
    const item = stack.pop()!
    const v = item.value
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return item.path || '/'
    } else if (v && typeof v === 'object') {
      for (const [key, child] of Object.entries(v)) {
        stack.push({ value: child, path: `${item.path}/${pointerSegment(key)}` })
      }
    }
  }
  return undefined
}

/** The error fastify raises for a schema violation, so the envelope (and its details) is the same. */
function validationError(part: Part, path: string): Error {
  const message = 'must be a finite number'
  return Object.assign(new Error(`${part}${path} ${message}`), {
    statusCode: 400,
    code: 'FST_ERR_VALIDATION',
    validation: [{ keyword: 'finite', instancePath: path, schemaPath: '', params: {}, message }],
    validationContext: part,
  })
}

/**
 * Gives every `integer` of a request schema that has no bound of its own the bounds of an exact
 * integer (±(2^53 - 1)), in place. JSON allows any integer, and `2e196` is one: it passed the schema,
 * and the driver sent it to an int4 column as text with an exponent (a 500). Past 2^53 a number is
 * not even the integer the client wrote. Inline schemas only: a `$ref` is shared, and left as it is.
 */
function boundIntegers(schema: unknown): void {
  const stack: unknown[] = [schema]
  while (stack.length) {
    const node = stack.pop()
    if (!node || typeof node !== 'object') continue
    if (Array.isArray(node)) {
      stack.push(...node)
      continue
    }
    const bounds = node as {
      type?: unknown
      minimum?: number
      maximum?: number
      exclusiveMinimum?: number
      exclusiveMaximum?: number
    }
    const types = Array.isArray(bounds.type) ? bounds.type : [bounds.type]
    if (types.includes('integer')) {
      if (bounds.maximum === undefined && bounds.exclusiveMaximum === undefined) {
        bounds.maximum = Number.MAX_SAFE_INTEGER
      }
      if (bounds.minimum === undefined && bounds.exclusiveMinimum === undefined) {
        bounds.minimum = Number.MIN_SAFE_INTEGER
      }
    }
    stack.push(...Object.values(node))
  }
}

/**
 * Refuses numbers that are not finite wherever a route schema accepts numbers, and integers that are
 * not exact (see boundIntegers). ajv's coercion turns
 * the strings `Infinity` and `1e400` into Infinity without checking the result (its `strictNumbers`
 * check runs on the value before coercion, and the range keywords are then skipped), so a
 * `{type: 'integer', maximum: 1000}` limit reached SQL as Infinity. Checking the validated values
 * after validation covers every route and every coercion at once; routes whose schemas hold no number
 * get no hook at all. Call on the root instance before any route is registered.
 */
export function installFiniteNumbers(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = route.schema as Partial<Record<Part, unknown>> | undefined
    if (!schema) return
    for (const [part] of PARTS) boundIntegers(schema[part])
    const parts = PARTS.filter(([part]) => mayHoldNumbers(schema[part]))
    if (!parts.length) return
    const check: preHandlerHookHandler = (request, _reply, done) => {
      for (const [part, property] of parts) {
        const path = firstNonFinite(request[property as keyof FastifyRequest])
        if (path !== undefined) return done(validationError(part, path))
      }
      done()
    }
    // Before the route's own preHandlers, as if it were part of validation (which precedes them all).
    const existing = route.preHandler
    route.preHandler = [
      check,
      ...(existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]),
    ]
  })
}
