import { describe, expect, it } from 'vitest'
import { type RuleAuth, RuleSyntaxError, RulesEvaluator } from './rules.ts'

const rules = new RulesEvaluator()
const alice: RuleAuth = {
  uid: 'alice',
  role: 'authenticated',
  email: 'a@x.io',
  claims: { aal: 'aal1', roles: ['editor'] },
}
const service: RuleAuth = { uid: 'service', role: 'service', email: null, claims: {} }

describe('rules evaluator', () => {
  it.each([
    ['true', {}, true],
    ['false', {}, false],
    ['auth != null', { auth: null }, false],
    ['auth != null', { auth: alice }, true],
    ['auth.uid == doc.owner', { auth: alice, doc: { owner: 'alice' } }, true],
    ['auth.uid == doc.owner', { auth: alice, doc: { owner: 'bob' } }, false],
    [
      'auth != null && auth.uid == request.data.owner',
      { auth: alice, request: { data: { owner: 'alice' } } },
      true,
    ],
    ['doc.n > 1', { doc: { n: 2 } }, true],
    ['doc.n == 2', { doc: { n: 2 } }, true],
    ['request.data.title.size() <= 3', { request: { data: { title: 'abcd' } } }, false],
    ['"editor" in auth.claims.roles', { auth: alice }, true],
    ['auth.claims.aal == "aal2"', { auth: alice }, false],
    ['auth.role == "service"', { auth: service }, true],
    [
      'object.size < 1024 && object.contentType.startsWith("image/")',
      { object: { size: 10, contentType: 'image/png' } },
      true,
    ],
    ['has(doc.tags) && doc.tags.exists(t, t == "x")', { doc: { tags: ['y', 'x'] } }, true],
    // Errors deny rather than throw: a missing field, null access, a non-boolean result.
    ['doc.missing == 1', { doc: { n: 1 } }, false],
    ['auth.uid == "alice"', { auth: null }, false],
    ['doc.n', { doc: { n: 1 } }, false],
  ])('%s with %j → %s', (source, variables, expected) => {
    expect(rules.compile(source).allows({ auth: null, ...variables })).toBe(expected)
  })

  it.each([['1 +'], ['unknownVar == 1'], ['1 + 1'], ['"a"'], [''], ['   ']])(
    'refuses %j at compile time',
    (source) => {
      expect(() => rules.compile(source)).toThrow(RuleSyntaxError)
    },
  )

  it('caches compiled rules by source', () => {
    expect(rules.compile('auth != null')).toBe(rules.compile('auth != null'))
    expect(rules.compile(true).allows({ auth: null })).toBe(true)
    expect(rules.compile(false).allows({ auth: alice })).toBe(false)
  })

  it('logs why a rule denied on error', () => {
    const warnings: unknown[] = []
    const logged = new RulesEvaluator({ logger: { warn: (details) => warnings.push(details) } })
    expect(logged.compile('doc.a.b == 1').allows({ auth: null, doc: {} })).toBe(false)
    expect(warnings).toEqual([expect.objectContaining({ rule: 'doc.a.b == 1' })])
  })
})

describe('deciding a rule before the document is known', () => {
  it.each([
    ['auth != null', { auth: null }, false],
    ['auth != null', { auth: alice }, true],
    ['auth != null && doc.owner == auth.uid', { auth: null }, false],
    ['auth != null && doc.owner == auth.uid', { auth: alice }, undefined],
    ['doc.owner == auth.uid && auth.claims.aal == "aal2"', { auth: alice }, false],
    ['auth.role == "editor" || doc.public == true', { auth: alice }, undefined],
    ['auth.uid == "alice" || doc.public == true', { auth: alice }, true],
    ['(auth != null && auth.uid == "bob") || (auth != null && doc.x == 1)', { auth: null }, false],
    ['doc.public == true', { auth: alice }, undefined],
    // An error in a known part counts as false (auth.uid on null), as CEL's && and || would decide.
    ['auth.uid == "x" && doc.public', { auth: null }, false],
    // A comprehension variable named like the unknown one is treated as the unknown (conservative).
    ['auth != null && [1].exists(doc, doc == 1)', { auth: alice }, undefined],
  ])('%s with %j → %s', (source, variables, expected) => {
    expect(rules.compile(source).decide(variables, 'doc')).toBe(expected)
  })

  it('decides constant rules', () => {
    expect(rules.compile(true).decide({ auth: null }, 'doc')).toBe(true)
    expect(rules.compile(false).decide({ auth: alice }, 'doc')).toBe(false)
  })
})
