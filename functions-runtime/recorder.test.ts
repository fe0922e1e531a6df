import { describe, expect, it } from 'vitest'
import type { Execution } from '../services/functions/model.ts'
import { ExecutionRecorder } from './recorder.ts'
import type { FunctionStore } from './store.ts'

function fakeStore() {
  const batches: string[][] = []
  const store = {
    insertExecutions: async (records: readonly Execution[]) => {
      batches.push(records.map((r) => r.id))
      return new Set(records.map((r) => r.id))
    },
  } as unknown as FunctionStore
  return { store, batches }
}
const record = (id: string) => ({ id }) as Execution
const logger = { warn: () => {} }

describe('ExecutionRecorder', () => {
  it('lets records nobody waits for linger into one batch', async () => {
    const { store, batches } = fakeStore()
    const recorder = new ExecutionRecorder(store, { logger, lingerMs: 30 })
    recorder.enqueue(record('a'))
    await new Promise((r) => setTimeout(r, 5))
    recorder.enqueue(record('b'))
    expect(batches).toEqual([])
    await new Promise((r) => setTimeout(r, 60))
    expect(batches).toEqual([['a', 'b']])
  })

  it('writes soon when a record is waited for, taking the lingering ones along', async () => {
    const { store, batches } = fakeStore()
    const recorder = new ExecutionRecorder(store, { logger, lingerMs: 10_000, writeLingerMs: 5 })
    recorder.enqueue(record('a'))
    await new Promise((r) => setTimeout(r, 5))
    expect(await recorder.write(record('b'))).toBe(true)
    expect(batches).toEqual([['a', 'b']])
  })

  it('flushes lingering records when asked (shutdown) and when a batch is full', async () => {
    const { store, batches } = fakeStore()
    const recorder = new ExecutionRecorder(store, { logger, lingerMs: 10_000, maxBatch: 2 })
    recorder.enqueue(record('a'))
    await recorder.flushed()
    expect(batches).toEqual([['a']])
    recorder.enqueue(record('b'))
    recorder.enqueue(record('c'))
    await recorder.flushed()
    expect(batches).toEqual([['a'], ['b', 'c']])
  })

  // A store whose first insert hangs until released: records arrive while a batch is being written.
  function slowFirstStore() {
    const batches: string[][] = []
    let release: () => void = () => {}
    const store = {
      insertExecutions: async (records: readonly Execution[]) => {
        batches.push(records.map((r) => r.id))
        if (batches.length === 1) await new Promise<void>((r) => (release = r))
        return new Set(records.map((r) => r.id))
      },
    } as unknown as FunctionStore
    return { store, batches, release: () => release() }
  }
  const tick = (ms: number) => new Promise((r) => setTimeout(r, ms))

  it('lets records nobody waits for that arrive during a write linger for the next batch', async () => {
    const { store, batches, release } = slowFirstStore()
    const recorder = new ExecutionRecorder(store, { logger, lingerMs: 10_000, maxBatch: 2 })
    recorder.enqueue(record('a'))
    recorder.enqueue(record('a2'))
    await tick(5)
    recorder.enqueue(record('b'))
    release()
    await tick(20)
    expect(batches).toEqual([['a', 'a2']])
    await recorder.flushed()
    expect(batches).toEqual([['a', 'a2'], ['b']])
  })

  it('writes a record waited for during a write right after it, without lingering again', async () => {
    const { store, batches, release } = slowFirstStore()
    const recorder = new ExecutionRecorder(store, {
      logger,
      lingerMs: 10_000,
      writeLingerMs: 10_000,
      maxBatch: 2,
    })
    recorder.enqueue(record('a'))
    recorder.enqueue(record('a2'))
    await tick(5)
    const written = recorder.write(record('c'))
    release()
    await tick(20)
    expect(batches).toEqual([['a', 'a2'], ['c']])
    expect(await written).toBe(true)
  })
})
