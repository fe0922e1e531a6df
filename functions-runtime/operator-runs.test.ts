import { describe, expect, it } from 'vitest'
import { rootEventId } from './operator-runs.ts'

describe('execution keys', () => {
  it.each([
    ['019ad6f0-7c1e-7a42-9b1e-4c2d3e4f5a6b', '019ad6f0-7c1e-7a42-9b1e-4c2d3e4f5a6b'],
    ['019ad6f0-7c1e-7a42-9b1e-4c2d3e4f5a6b.rerun.3', '019ad6f0-7c1e-7a42-9b1e-4c2d3e4f5a6b'],
    [
      '019ad6f0-7c1e-7a42-9b1e-4c2d3e4f5a6b.replay.019ad6f1-0000-7000-8000-000000000000',
      '019ad6f0-7c1e-7a42-9b1e-4c2d3e4f5a6b',
    ],
    ['nightly.1.1767146400000', 'nightly.1.1767146400000'],
    ['nightly.1.manual.1767146400000.rerun.12', 'nightly.1.manual.1767146400000'],
    ['rerun.0.1767146400000', 'rerun.0.1767146400000'],
    ['x.rerun.y', 'x.rerun.y'],
  ])('%s derives from %s', (key, root) => {
    expect(rootEventId(key)).toBe(root)
  })
})
