import { describe, expect, it } from 'vitest'
import { ExecutionRecorder } from './recorder.ts'
import type { Execution, FunctionStore } from './store.ts'

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
})
