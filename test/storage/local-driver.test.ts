import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { LocalStorageDriver } from '../../services/storage/local/local-driver.ts'
import { driverContract } from './driver-contract.ts'

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** A driver rooted in `<parent>/root`, so that anything written beside the root is visible. */
async function openLocal() {
  const parent = mkdtempSync(path.join(os.tmpdir(), 'stratus-local-driver-'))
  dirs.push(parent)
  const root = path.join(parent, 'root')
  const driver = await LocalStorageDriver.open({ root })
  return { parent, root, driver }
}

driverContract('local disk', async () => {
  const { parent, root, driver } = await openLocal()
  return {
    driver,
    partSize: 5 * 1024 * 1024,
    leftovers: async () => [
      ...(await readdir(path.join(root, '.tmp'))).map((f) => `.tmp/${f}`),
      ...readdirSync(parent).filter((f) => f !== 'root'),
    ],
    close: () => driver.close(),
  }
})

describe('local disk driver', () => {
  it('prunes the directories a deleted blob leaves empty, and only those', async () => {
    const { root, driver } = await openLocal()
    await driver.put('b/deep/er/key/v1', Readable.from([Buffer.from('1')]))
    await driver.put('b/deep/other/v1', Readable.from([Buffer.from('2')]))
    await driver.delete('b/deep/er/key/v1')
    expect(readdirSync(path.join(root, 'b', 'deep'))).toEqual(['other'])
    await driver.delete('b/deep/other/v1')
    expect(readdirSync(root)).toEqual(['.tmp'])
  })

  it('refuses the reserved temp directory as a path', async () => {
    const { driver } = await openLocal()
    await expect(driver.put('.tmp/x', Readable.from([Buffer.from('1')]))).rejects.toThrow(/reserved/)
  })

  it('removes stale temp files (left by a crash) when it opens, keeping recent ones', async () => {
    const { root, driver } = await openLocal()
    await driver.close()
    const stale = path.join(root, '.tmp', 'stale.part')
    const recent = path.join(root, '.tmp', 'recent.part')
    writeFileSync(stale, 'x')
    writeFileSync(recent, 'y')
    const old = new Date(Date.now() - 2 * 3600_000)
    utimesSync(stale, old, old)
    await LocalStorageDriver.open({ root })
    expect(readdirSync(path.join(root, '.tmp'))).toEqual(['recent.part'])
  })

  it('writes through a temp file: the blob appears whole, only once the body has ended', async () => {
    const { root, driver } = await openLocal()
    const body = new Readable({ read() {} })
    const done = driver.put('b/k/v1', body)
    body.push(Buffer.alloc(1000, 1))
    await new Promise((r) => setTimeout(r, 50))
    expect(await driver.stat('b/k/v1')).toBeNull()
    expect(readdirSync(path.join(root, '.tmp'))).toHaveLength(1)
    body.push(null)
    expect(await done).toEqual({ size: 1000 })
    expect(await driver.stat('b/k/v1')).toEqual({ size: 1000 })
    expect(readdirSync(path.join(root, '.tmp'))).toEqual([])
  })
})
