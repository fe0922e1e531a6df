import { describe, expect, it } from 'vitest'
import { SetOutcomes } from './set-outcomes.ts'

describe('SetOutcomes', () => {
  it('tries the create first in a collection it has not seen', () => {
    expect(new SetOutcomes().tryCreateFirst('fresh')).toBe(true)
  })

  it('follows what most recent sets did, per collection', () => {
    const outcomes = new SetOutcomes()
    outcomes.record('replaced', false)
    expect(outcomes.tryCreateFirst('replaced')).toBe(false)
    expect(outcomes.tryCreateFirst('other')).toBe(true)
    // Creates win it back, a few at a time rather than at once.
    outcomes.record('replaced', true)
    expect(outcomes.tryCreateFirst('replaced')).toBe(false)
    for (let i = 0; i < 5; i++) outcomes.record('replaced', true)
    expect(outcomes.tryCreateFirst('replaced')).toBe(true)
  })

  it('one odd replace among creates does not switch the path', () => {
    const outcomes = new SetOutcomes()
    for (let i = 0; i < 20; i++) outcomes.record('c', true)
    outcomes.record('c', false)
    expect(outcomes.tryCreateFirst('c')).toBe(true)
    for (let i = 0; i < 8; i++) outcomes.record('c', false)
    expect(outcomes.tryCreateFirst('c')).toBe(false)
  })
})
