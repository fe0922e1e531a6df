import { describe, expect, it } from 'vitest'
import { andFinally, andThen, isPromise, type MaybePromise } from './maybe-promise.ts'

describe('MaybePromise helpers', () => {
  it('andThen calls fn at once for a plain value and answers without a promise', () => {
    const calls: number[] = []
    const out = andThen(2, (n) => {
      calls.push(n)
      return n * 10
    })
    // Called before `then` returned, not on a later microtask.
    expect(calls).toEqual([2])
    expect(isPromise(out)).toBe(false)
    expect(out).toBe(20)
  })

  it('andThen chains a promise, and fn may itself answer a plain value or a promise', async () => {
    const plain = andThen(Promise.resolve(2), (n) => n + 1)
    expect(isPromise(plain)).toBe(true)
    expect(await plain).toBe(3)
    const nested = andThen(3, (n) => Promise.resolve(n + 1))
    expect(isPromise(nested)).toBe(true)
    expect(await nested).toBe(4)
  })

  it('andThen lets a throw on a plain value propagate, and routes only a rejection to onRejected', async () => {
    const onRejected = (error: unknown) => `caught ${(error as Error).message}`
    expect(() =>
      andThen(
        1,
        () => {
          throw new Error('sync')
        },
        onRejected,
      ),
    ).toThrow('sync')
    expect(await andThen(Promise.reject(new Error('async')), () => 'ok', onRejected)).toBe('caught async')
    await expect(andThen(Promise.reject(new Error('async')), () => 'ok')).rejects.toThrow('async')
  })

  it('andFinally runs its callback once the value settles and passes the value or rejection on', async () => {
    let ran = 0
    expect(andFinally(5, () => ran++)).toBe(5)
    expect(ran).toBe(1)
    const later: MaybePromise<number> = Promise.resolve(6)
    const out = andFinally(later, () => ran++)
    expect(ran).toBe(1)
    expect(await out).toBe(6)
    expect(ran).toBe(2)
    await expect(andFinally(Promise.reject(new Error('no')), () => ran++)).rejects.toThrow('no')
    expect(ran).toBe(3)
  })
})
