import { describe, expect, it } from 'vitest'
import { holderPid, planFaults } from './faults.ts'
import { FAULT_KINDS } from './invariants.ts'

/** A deterministic generator, so a plan can be asserted exactly. */
function seeded(seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31
    return state / 2 ** 31
  }
}

describe('planFaults', () => {
  it('plans every kind perKind times, in order of time, inside the middle of the run', () => {
    const plan = planFaults(600_000, 3, seeded(7))
    expect(plan).toHaveLength(FAULT_KINDS.length * 3)
    for (const kind of FAULT_KINDS) expect(plan.filter((fault) => fault.kind === kind)).toHaveLength(3)
    const times = plan.map((fault) => fault.atMs)
    expect(times).toEqual([...times].sort((a, b) => a - b))
    expect(Math.min(...times)).toBeGreaterThanOrEqual(90_000)
    expect(Math.max(...times)).toBeLessThanOrEqual(450_000)
  })

  it('plans the worker partition of issue 17 with the others', () => {
    expect(FAULT_KINDS).toContain('worker-partition')
    const plan = planFaults(600_000, 1, seeded(5))
    expect(plan.filter((fault) => fault.kind === 'worker-partition')).toHaveLength(1)
  })

  it('plans only the kinds asked for', () => {
    const plan = planFaults(600_000, 2, seeded(3), ['redis-lose'])
    expect(plan.map((fault) => fault.kind)).toEqual(['redis-lose', 'redis-lose'])
  })

  it('shuffles differently with another seed', () => {
    const kinds = (seed: number) => planFaults(600_000, 2, seeded(seed)).map((fault) => fault.kind)
    expect(kinds(1)).not.toEqual(kinds(2))
  })
})

describe('holderPid', () => {
  it('reads the pid of a relay lease holder', () => {
    expect(holderPid('4242-0b7f1c9e-2d1a-4c4e-9f5e-1a2b3c4d5e6f')).toBe(4242)
    expect(holderPid('not-a-holder')).toBeUndefined()
  })
})
