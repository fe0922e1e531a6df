import type { SimulationRequest } from '../../api/rules.ts'
import type { SimulatorSearch } from './search.ts'

/** A JSON object typed in the form: the object, or why it is not one. */
export function parseObject(
  text: string | undefined,
  what: string,
): { value?: Record<string, unknown>; error?: string } {
  if (text === undefined || text.trim() === '') return {}
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return { error: `${what} is not JSON: ${(error as Error).message}` }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { error: `${what} must be a JSON object` }
  return { value: value as Record<string, unknown> }
}

export type Built =
  | { request: SimulationRequest; errors?: undefined }
  | { request?: undefined; errors: string[] }

/**
 * The simulate request a form (the URL's search) describes, or what is missing or malformed. Defaults:
 * target document, operation read, auth anonymous.
 */
export function buildRequest(search: SimulatorSearch): Built {
  const errors: string[] = []
  const target = search.target ?? 'document'
  const operation = search.operation ?? 'read'
  const mode = search.auth ?? 'anonymous'
  const claims = parseObject(search.claims, 'Claims')
  const data = parseObject(search.data, 'Request data')
  const existing = parseObject(
    search.existing,
    target === 'document' ? 'The stored document' : 'The stored object',
  )
  for (const parsed of [claims, data, existing]) if (parsed.error) errors.push(parsed.error)

  const place =
    target === 'document'
      ? search.collection
        ? { collection: search.collection, ...(search.id ? { id: search.id } : {}) }
        : null
      : search.bucket
        ? { bucket: search.bucket, ...(search.key ? { key: search.key } : {}) }
        : null
  if (!place) errors.push(target === 'document' ? 'Name a collection' : 'Name a bucket')

  let auth: SimulationRequest['auth'] = null
  if (mode === 'user') {
    if (!search.uid) errors.push('Pick a user')
    else auth = { uid: search.uid, ...(claims.value ? { claims: claims.value } : {}) }
  } else if (mode === 'claims') {
    auth = { claims: claims.value ?? {} }
  }
  if (errors.length > 0 || !place) return { errors }
  return {
    request: {
      target,
      ...place,
      operation,
      auth,
      ...(data.value ? { data: data.value } : {}),
      ...(existing.value ? { existing: existing.value } : {}),
    },
  }
}

/** The rule split around the part that decided (offsets as the server counts them: UTF-16 units). */
export function splitRule(rule: string, start: number, end: number): [string, string, string] {
  const from = Math.max(0, Math.min(start, rule.length))
  const to = Math.max(from, Math.min(end, rule.length))
  return [rule.slice(0, from), rule.slice(from, to), rule.slice(to)]
}
