import { describe, expect, it } from 'vitest'
import { simulatorSearch } from './search.ts'
import { buildRequest, splitRule } from './simulation.ts'

describe('simulator form → request', () => {
  it('builds the request with defaults (document, read, anonymous)', () => {
    expect(buildRequest({ collection: 'notes' })).toEqual({
      request: { target: 'document', collection: 'notes', operation: 'read', auth: null },
    })
  })

  it('takes a user with extra claims, request data and an assumed document', () => {
    const built = buildRequest({
      collection: 'notes',
      id: 'n1',
      operation: 'update',
      auth: 'user',
      uid: 'u1',
      claims: '{"aal": "aal2"}',
      data: '{"owner": "u1"}',
      existing: '{"owner": "u2"}',
    })
    expect(built.request).toEqual({
      target: 'document',
      collection: 'notes',
      id: 'n1',
      operation: 'update',
      auth: { uid: 'u1', claims: { aal: 'aal2' } },
      data: { owner: 'u1' },
      existing: { owner: 'u2' },
    })
  })

  it('says what is missing or malformed', () => {
    expect(buildRequest({ auth: 'user', data: '[1]' }).errors).toEqual([
      'Request data must be a JSON object',
      'Name a collection',
      'Pick a user',
    ])
    expect(buildRequest({ target: 'object', auth: 'claims', claims: '{' }).errors?.[0]).toMatch(
      /Claims is not JSON/,
    )
  })

  it('reads the URL leniently: numbers as text, JSON as text, unknown values dropped', () => {
    expect(
      simulatorSearch({
        target: 'document',
        collection: 'c',
        id: 42,
        operation: 'fly',
        auth: 'user',
        data: { a: 1 },
      }),
    ).toEqual({ target: 'document', collection: 'c', id: '42', auth: 'user', data: '{\n  "a": 1\n}' })
  })

  it('splits a rule around the deciding part', () => {
    expect(splitRule('a && b', 5, 6)).toEqual(['a && ', 'b', ''])
    expect(splitRule('a', 5, 9)).toEqual(['a', '', ''])
  })
})
