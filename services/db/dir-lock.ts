import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'

/** A lock file held by this process on a data directory. */
export interface DirLock {
  release(): void
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Takes `<dir>/stratus.lock`, so that two processes never open one embedded database (which would
 * corrupt it). A lock left by a process that no longer runs (e.g. after kill -9) is taken over.
 */
export function acquireDirLock(dir: string): DirLock {
  const file = path.join(dir, 'stratus.lock')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' })
      return {
        release: () => {
          rmSync(file, { force: true })
        },
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const holder = Number(readFileSync(file, 'utf8').trim())
      if (Number.isInteger(holder) && holder !== process.pid && alive(holder)) {
        throw new Error(
          `The embedded database in ${dir} is in use by another Stratus process (pid ${holder}). ` +
            'Stop it, or set DATABASE_URL to share a PostgreSQL database between processes.',
        )
      }
      rmSync(file, { force: true })
    }
  }
  throw new Error(`Could not lock ${dir}`)
}
