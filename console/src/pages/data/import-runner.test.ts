import { describe, expect, it } from 'vitest'
import type { BatchWrite } from '../../api/data.ts'
import { runImport } from './import-runner.ts'
import type { ImportRow } from './transfer.ts'

class BatchError extends Error {
  constructor(readonly index: number | undefined) {
    super(index === undefined ? 'too large' : `write ${index} is invalid`)
  }
}

const rows: ImportRow[] = Array.from({ length: 12 }, (_, i) => ({ line: i + 1, id: `d${i}`, data: { n: i } }))

/** A fake batch endpoint: all or nothing, refusing writes whose n is in `bad`. */
function server(bad: Set<number>, namesIndex: boolean) {
  const stored = new Map<string, unknown>()
  const calls: number[] = []
  const commit = async (writes: BatchWrite[]) => {
    calls.push(writes.length)
    const index = writes.findIndex((w) => bad.has((w.data as { n: number }).n))
    if (index >= 0) throw new BatchError(namesIndex ? index : undefined)
    for (const w of writes) stored.set(w.id!, w.data)
  }
  return { stored, calls, commit }
}

describe('runImport', () => {
  it('writes in chunks and reports each refused row, retrying the rest of its batch', async () => {
    const fake = server(new Set([3, 7]), true)
    const report = await runImport(rows, {
      collection: 'c',
      mode: 'set',
      chunk: 5,
      commit: fake.commit,
      failedIndex: (e) => (e as BatchError).index,
    })
    expect(report.written).toBe(10)
    expect(report.failed.map((f) => f.line)).toEqual([4, 8])
    expect(fake.stored.size).toBe(10)
    expect(fake.calls).toEqual([5, 4, 5, 4, 2])
  })

  it('splits a batch in halves when the server does not say which write failed', async () => {
    const fake = server(new Set([5]), false)
    const report = await runImport(rows, {
      collection: 'c',
      mode: 'create',
      commit: fake.commit,
      failedIndex: (e) => (e as BatchError).index,
    })
    expect(report.written).toBe(11)
    expect(report.failed).toEqual([{ line: 6, id: 'd5', message: 'too large' }])
  })
})
