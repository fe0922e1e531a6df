import type { BatchWrite } from '../../api/data.ts'
import type { ImportRow } from './transfer.ts'

/** What happened to an import. */
export interface ImportReport {
  written: number
  failed: { line: number; id?: string; message: string }[]
}

export interface ImportOptions {
  collection: string
  /** `set`: an id that exists is replaced; `create`: it fails (and is reported). */
  mode: 'set' | 'create'
  /** Commits writes all or none; on failure throws, naming the failing write's index when it can. */
  commit: (writes: BatchWrite[]) => Promise<unknown>
  /** Which write of a failed commit failed (from the error), if known. */
  failedIndex: (error: unknown) => number | undefined
  /** Writes per batch (the server takes at most 500). */
  chunk?: number
  /** A failure as the report words it (default: the error's message). */
  describe?: (error: unknown) => string
  onProgress?: (done: number, total: number) => void
  signal?: AbortSignal
}

function writeOf(row: ImportRow, options: ImportOptions): BatchWrite {
  return {
    op: row.id === undefined ? 'create' : options.mode,
    collection: options.collection,
    ...(row.id === undefined ? {} : { id: row.id }),
    data: row.data,
  }
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error))

/**
 * Writes `rows` in batches. A batch is all or nothing, so when one fails the failing write (named by
 * the server) is reported and the rest of the batch is sent again; when the server does not say which
 * one failed, the batch is split in halves until the bad rows stand alone. Every row ends up written
 * or reported.
 */
export async function runImport(rows: readonly ImportRow[], options: ImportOptions): Promise<ImportReport> {
  const report: ImportReport = { written: 0, failed: [] }
  const size = Math.max(1, Math.min(options.chunk ?? 500, 500))
  let done = 0
  const fail = (row: ImportRow, error: unknown) => {
    report.failed.push({
      line: row.line,
      ...(row.id === undefined ? {} : { id: row.id }),
      message: (options.describe ?? messageOf)(error),
    })
  }

  async function write(group: ImportRow[]): Promise<void> {
    let pending = group
    while (pending.length > 0) {
      options.signal?.throwIfAborted()
      try {
        await options.commit(pending.map((row) => writeOf(row, options)))
        report.written += pending.length
        return
      } catch (error) {
        options.signal?.throwIfAborted()
        const index = options.failedIndex(error)
        if (index !== undefined && index >= 0 && index < pending.length) {
          fail(pending[index]!, error)
          pending = pending.filter((_, i) => i !== index)
          continue
        }
        if (pending.length === 1) {
          fail(pending[0]!, error)
          return
        }
        const half = Math.ceil(pending.length / 2)
        await write(pending.slice(0, half))
        await write(pending.slice(half))
        return
      }
    }
  }

  for (let start = 0; start < rows.length; start += size) {
    const group = rows.slice(start, start + size)
    await write(group)
    done += group.length
    options.onProgress?.(done, rows.length)
  }
  return report
}
