import { describe, expect, it } from 'vitest'
import { Limiter } from './limiter.ts'

describe('Limiter', () => {
  it('runs at most `limit` tasks at once, the rest in arrival order, and survives failures', async () => {
    const limiter = new Limiter(2)
    let running = 0
    let peak = 0
    const order: number[] = []
    const releases: (() => void)[] = []
    const settled = Promise.allSettled(
      [0, 1, 2, 3, 4].map((i) =>
        limiter.run(async () => {
          running++
          peak = Math.max(peak, running)
          order.push(i)
          await new Promise<void>((resolve) => releases.push(resolve))
          running--
          if (i === 1) throw new Error('task 1 failed')
          return i
        }),
      ),
    )
    while (order.length < 5) {
      await new Promise((r) => setImmediate(r))
      releases.shift()?.()
    }
    for (const release of releases) release()
    const results = await settled
    expect(peak).toBe(2)
    expect(order).toEqual([0, 1, 2, 3, 4])
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ])
  })

  it('refuses a limit below 1', () => {
    expect(() => new Limiter(0)).toThrow(/limit must be an integer >= 1/)
  })
})
