import type { FastifyInstance } from 'fastify'
import { StratusError } from '../core/errors.ts'
import { sqlState } from '../db/database.ts'

// Text Postgres cannot store, and how the gateway keeps it from becoming a 500. U+0000 is refused by
// text (22021) and jsonb (22P05) alike, so the database itself detects it and `unstorableValue` maps
// its error. A lone surrogate is not: jsonb refuses its `\ud800` escape with 22P02, which any invalid
// input also raises, and a text parameter is silently stored as U+FFFD (the driver encodes the string
// as UTF-8). So lone surrogates are refused where they enter: a JSON body is the only way a request can
// carry one (UTF-8 cannot encode them, and percent-decoding refuses them).

/**
 * Postgres data exceptions that only a client's value can raise, and what the client is told. U+0000
 * in text (22021) or jsonb (22P05); a number out of a column's range (22003: an `integer` the schema
 * leaves unbounded, such as a version of 2^53, against an int4 column); a date or time out of the
 * range Postgres stores (22008). The statement's transaction rolled back, so nothing was half written.
 */
const CLIENT_DATA_EXCEPTIONS: Readonly<Record<string, string>> = {
  '22021': 'The request contains U+0000 (NUL), which cannot be stored',
  '22P05': 'The request contains U+0000 (NUL), which cannot be stored',
  '22003': 'A number in the request is outside the range that can be stored',
  '22008': 'A date or time in the request is outside the range that can be stored',
}

/**
 * The message for a client whose value the database refused (`error` or one of its causes is one of
 * the data exceptions above), or undefined. Services check the values they know to be free-form
 * (documents, payloads); anything else that carries such a value to the database fails there, and
 * that is the client's input, not a server fault.
 */
export function unstorableValue(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const state = sqlState(e)
    if (state !== undefined && Object.hasOwn(CLIENT_DATA_EXCEPTIONS, state))
      return CLIENT_DATA_EXCEPTIONS[state]
  }
  return undefined
}

// ES2024's String#isWellFormed (Node 20 has it; the ES2023 lib does not declare it).
const isWellFormed = (text: string): boolean =>
  (text as unknown as { isWellFormed(): boolean }).isWellFormed()

/** A `\u` escape of a surrogate in JSON text: the only way a parsed JSON value can hold a lone one. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/

/** The JSON pointer of the first key or string in `value` holding a lone surrogate, or undefined. */
function firstLoneSurrogate(value: unknown): string | undefined {
  const stack: { value: unknown; path: string }[] = [{ value, path: '' }]
  while (stack.length) {
    const { value: v, path } = stack.pop()!
    if (typeof v === 'string') {
      if (!isWellFormed(v)) return path || '/'
    } else if (v && typeof v === 'object') {
      for (const [key, child] of Object.entries(v)) {
        const at = `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`
        if (!isWellFormed(key)) return at
        stack.push({ value: child, path: at })
      }
    }
  }
  return undefined
}

/**
 * Replaces fastify's JSON body parser with the same parser (same prototype-poisoning handling, same
 * errors) followed by a refusal of lone surrogates, with 400 request/invalid naming where the first one
 * is. The parsed value is walked only when the text has a surrogate escape, so ordinary bodies cost one
 * scan of their text. Call on the root instance, so that every route inherits it.
 */
export function refuseLoneSurrogates(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, raw, done) => {
    const text = raw as string // parseAs: 'string'
    parse(request, text, (error, body) => {
      if (error) return done(error, undefined)
      const path = SURROGATE_ESCAPE.test(text) ? firstLoneSurrogate(body) : undefined
      if (path === undefined) return done(null, body)
      done(
        new StratusError(
          'request/invalid',
          `The request body at ${path} contains a lone surrogate (not valid Unicode), which cannot be stored`,
          { details: { location: 'body', path } },
        ),
        undefined,
      )
    })
  })
}
