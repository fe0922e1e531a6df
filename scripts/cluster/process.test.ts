import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { descendants, ManagedProcess } from './process.ts'

/** Whether `pid` still runs (a zombie has ended: it holds nothing). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')
  } catch {
    return false
  }
}

describe('ManagedProcess.kill', () => {
  // PostgreSQL's backends each call setsid(), so a signal to the postmaster's process group misses
  // them; after a SIGKILL they held its shared memory for a moment and the restarted postmaster
  // refused to run ("pre-existing shared memory block is still in use"). A child that leaves the
  // group the same way must be killed too.
  it('SIGKILL takes every descendant, even one that left the process group', async () => {
    const lines: string[] = []
    const process = new ManagedProcess(
      { name: 'family', command: 'sh', args: ['-c', 'sleep 60 & setsid sleep 60 & wait'] },
      (line) => lines.push(line),
    )
    process.spawn()
    const pid = process.pid()!
    let family: number[] = []
    for (let i = 0; i < 100 && family.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 20))
      family = descendants(pid)
    }
    expect(family.length, lines.join('\n')).toBeGreaterThanOrEqual(2)
    await process.kill('SIGKILL')
    expect(family.filter(running)).toEqual([])
    expect(process.running()).toBe(false)
  })
})
