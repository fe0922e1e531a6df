import { describe, expect, it } from 'vitest'
import { Batcher } from './batcher.ts'

describe('Batcher', () => {
  it('runs the calls of one turn together, and those made while a batch runs as the next', async () => {
    const batches: number[][] = []
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => {
      release = r
    })
    const batcher = new Batcher<number, number>(async (items) => {
      batches.push(items)
      if (batches.length === 1) await gate
      return items.map((i) => i * 10)
    })
    const first = [batcher.add(1), batcher.add(2)]
    await new Promise((r) => setImmediate(r))
    const second = [batcher.add(3), batcher.add(4), batcher.add(5)]
    release()
    expect(await Promise.all([...first, ...second])).toEqual([10, 20, 30, 40, 50])
    expect(batches).toEqual([
      [1, 2],
      [3, 4, 5],
    ])
  })

  it('rejects every item of a failed batch and goes on with the next', async () => {
    let calls = 0
    const batcher = new Batcher<number, number>(async (items) => {
      if (++calls === 1) throw new Error('down')
      return items
    })
    const failed = Promise.allSettled([batcher.add(1), batcher.add(2)])
    expect((await failed).map((r) => r.status)).toEqual(['rejected', 'rejected'])
    expect(await batcher.add(3)).toBe(3)
  })
})
