import { describe, expect, it } from 'vitest'
import { positionAt } from './explain.ts'
import { type RuleAuth, RulesEvaluator } from './rules.ts'

const rules = new RulesEvaluator()
const alice: RuleAuth = {
  uid: 'alice',
  role: 'authenticated',
  email: 'a@x.io',
  claims: { roles: ['editor'] },
}

describe('explaining a rule', () => {
  it('names the side of && that denied, and the values the rule reads', () => {
    const source = 'auth != null && doc.owner == auth.uid'
    const anon = rules.explain(source, { auth: null, doc: { owner: 'alice' } })
    expect(anon).toMatchObject({
      allowed: false,
      decidedBy: { expression: 'auth != null', value: false, start: { offset: 0 }, end: { offset: 12 } },
      bindings: { auth: null, 'doc.owner': 'alice' },
      missing: ['auth.uid'],
    })
    expect(anon.error).toBeUndefined()

    const owner = rules.explain(source, { auth: alice, doc: { owner: 'alice' } })
    expect(owner).toMatchObject({
      allowed: true,
      decidedBy: { expression: source, value: true },
      bindings: { auth: alice, 'doc.owner': 'alice', 'auth.uid': 'alice' },
      missing: [],
    })
    const other = rules.explain(source, { auth: alice, doc: { owner: 'bob' } })
    expect(other.decidedBy).toMatchObject({ expression: 'doc.owner == auth.uid', value: false })
  })

  it('names the side of || that allowed, even when the other side fails', () => {
    const source = 'doc.public == true || auth.claims.roles.exists(r, r == "editor")'
    const result = rules.explain(source, { auth: alice, doc: {} })
    expect(result).toMatchObject({
      allowed: true,
      decidedBy: { expression: 'auth.claims.roles.exists(r, r == "editor")', value: true },
      bindings: { 'auth.claims.roles': ['editor'] },
      missing: ['doc.public'],
    })
  })

  it('follows the branch a conditional took, and reads constant indexes as paths', () => {
    const source = 'request.method == "create" ? request.data["the title"].size() < 5 : doc.tags[0] == "x"'
    const result = rules.explain(source, {
      auth: null,
      doc: { tags: ['x'] },
      request: { method: 'update', data: null },
    })
    expect(result).toMatchObject({
      allowed: true,
      decidedBy: { expression: 'doc.tags[0] == "x"', value: true },
      bindings: { 'request.method': 'update', 'doc.tags[0]': 'x' },
      missing: ['request.data["the title"]'],
    })
  })

  it('reports an evaluation error (the rule denies) and where it happened', () => {
    const result = rules.explain('doc.missing == 1', { auth: null, doc: { n: 1 } })
    expect(result.allowed).toBe(false)
    expect(result.missing).toEqual(['doc.missing'])
    expect(result.decidedBy.value).toBeNull()
    expect(result.error?.message).toMatch(/missing/)
    const nonBoolean = rules.explain('doc.n', { auth: null, doc: { n: 1 } })
    expect(nonBoolean).toMatchObject({
      allowed: false,
      error: { message: expect.stringMatching(/not a boolean/) },
    })
  })

  it('explains the constant rules', () => {
    expect(rules.explain(true, { auth: null })).toMatchObject({
      allowed: true,
      decidedBy: { expression: 'true', value: true },
      bindings: {},
    })
    expect(rules.explain('false', { auth: alice }).allowed).toBe(false)
  })
})

describe('checking a rule', () => {
  it.each([
    ['auth != null', undefined],
    [true, undefined],
    ['1 +', { message: 'Unexpected token: EOF', position: { line: 1, column: 4, offset: 3 } }],
    [
      'auth != null &&\n  doc.owner == ',
      { message: 'Unexpected token: EOF', position: { line: 2, column: 16, offset: 31 } },
    ],
    [
      'auth.uid == nobody',
      {
        message: expect.stringMatching(/^Unknown variable: nobody/),
        position: { line: 1, column: 13, offset: 12 },
        end: { line: 1, column: 19, offset: 18 },
      },
    ],
    [
      '',
      { message: expect.stringMatching(/must not be empty/), position: { line: 1, column: 1, offset: 0 } },
    ],
    ['"a"', { message: expect.stringMatching(/boolean/), position: { offset: 0 } }],
  ])('%j → %j', (source, error) => {
    const result = rules.check(source)
    if (error === undefined) expect(result).toEqual({ ok: true })
    else expect(result).toMatchObject({ ok: false, error })
  })

  it('counts lines and columns from 1 and offsets from 0', () => {
    expect(positionAt('ab\ncd', 0)).toEqual({ line: 1, column: 1, offset: 0 })
    expect(positionAt('ab\ncd', 3)).toEqual({ line: 2, column: 1, offset: 3 })
    expect(positionAt('ab\ncd', 99)).toEqual({ line: 2, column: 3, offset: 5 })
  })
})
