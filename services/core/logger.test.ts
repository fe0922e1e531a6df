import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = path.resolve(import.meta.dirname, '../..')

/** Runs a few lines against the logger in a process of their own, and returns what it printed. */
function logged(format: string): string {
  const script = `
    import { createLogger } from './services/core/logger.ts'
    import { runInTrace } from './services/core/trace.ts'
    const logger = createLogger('info', { bindings: { role: 'all' }, format: ${JSON.stringify(format)} })
    logger.info({ n: 1 }, 'outside')
    runInTrace({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), flags: '01', wrote: false }, () => {
      logger.child({ component: 'x' }).warn('inside')
    })`
  // stdout is a pipe here, never a terminal: 'auto' means JSON.
  return execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
  })
}

describe('createLogger', () => {
  it('writes JSON lines, with the trace id of the scope a line is logged in', () => {
    for (const format of ['json', 'auto']) {
      const lines = logged(format)
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line))
      expect(lines).toHaveLength(2)
      expect(lines[0]).toMatchObject({ msg: 'outside', n: 1, role: 'all', level: 30 })
      expect(lines[0].traceId).toBeUndefined()
      expect(lines[1]).toMatchObject({ msg: 'inside', component: 'x', traceId: 'a'.repeat(32), level: 40 })
    }
  })

  it('writes readable lines with pino-pretty when asked', () => {
    const text = logged('pretty')
    expect(text).toMatch(/INFO.*outside/)
    expect(text).toMatch(/WARN.*inside/)
    expect(text).toContain(`traceId: "${'a'.repeat(32)}"`)
    expect(() => JSON.parse(text.split('\n')[0]!)).toThrow()
  })
})
