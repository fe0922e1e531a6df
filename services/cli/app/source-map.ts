import { originalPositionFor, TraceMap } from '@jridgewell/trace-mapping'

/** A place in a file: 1-based line and column, as editors and compilers print them. */
export interface SourcePosition {
  file: string
  line: number
  column: number
}

/**
 * Where the bundled code's `line`:`column` (both 1-based, as the sandbox reports them) came from, given
 * the bundle's source map (JSON, sources relative to the project directory); undefined when the map has
 * no source there (code esbuild generated itself).
 */
export function originalPosition(map: string, line: number, column: number): SourcePosition | undefined {
  if (!Number.isInteger(line) || !Number.isInteger(column) || line < 1 || column < 1) return undefined
  const found = originalPositionFor(new TraceMap(map), { line, column: column - 1 })
  if (found.source === null || found.line === null || found.column === null) return undefined
  return { file: found.source, line: found.line, column: found.column + 1 }
}

/** `file:line:col`, the form terminals and editors make clickable. */
export function formatPosition(at: SourcePosition): string {
  return `${at.file}:${at.line}:${at.column}`
}
