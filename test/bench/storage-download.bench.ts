import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { LocalStorageDriver } from '../../services/storage/local/local-driver.ts'
import { scaled, scaledEnv, spawnServer, startStratus, timeLimit, waitingFor } from './lib.ts'
import { body, chunks, download, drain, MiB, put, ThroughputRounds, timed } from './storage-lib.ts'

// MB/s of a 64 MiB download through HTTP (GET /storage/v1/object: gateway, metadata read, rules, streamed
// from local disk) vs the same bytes read directly through the local-disk driver in this process, same
// run, alternating, median of 5 (both from a warm page cache).
// When tiny: 4 MiB, one round.
timeLimit({ full: 300, tiny: 120 })
const SIZE = scaled(64, 4) * MiB
const ROUNDS = scaledEnv('BENCH_ROUNDS', 5, 1)
const parts = chunks(SIZE)

const dir = mkdtempSync(path.join(os.tmpdir(), 'stratus-bench-driver-'))
const driver = await LocalStorageDriver.open({ root: dir })
// For context only (not the baseline): a bare node:http server doing the same over HTTP.
const bare = await spawnServer('test/bench/fixtures/storage-bare-upload.ts', [], {})
const stratus = await startStratus().catch(async (error) => {
  await bare.stop()
  throw error
})
try {
  const key = { authorization: `Bearer ${stratus.serviceKey}` }
  const bucket = await fetch(`${stratus.url}/admin/v1/buckets/bench`, { method: 'PUT', headers: key })
  if (bucket.status !== 201) throw new Error(`bucket: ${bucket.status} ${await bucket.text()}`)
  const uploaded = await put(`${stratus.url}/storage/v1/object/bench/big.bin`, parts, key)
  if (uploaded.status !== 200) throw new Error(`upload: ${uploaded.status} ${uploaded.text}`)
  await driver.put('bench/big.bin/v', body(parts))
  await put(`${bare.url}/keep`, parts, {})

  const rounds = new ThroughputRounds(SIZE)
  for (let round = -1; round < ROUNDS; round++) {
    waitingFor(`round ${round} of ${ROUNDS - 1} (-1 warms up)`)
    const d = await timed(async () => {
      if ((await drain(await driver.get('bench/big.bin/v'))) !== SIZE) throw new Error('short read')
    })
    const h = await timed(async () => {
      if ((await download(`${stratus.url}/storage/v1/object/bench/big.bin`, key)) !== SIZE)
        throw new Error('short download')
    })
    const p = await timed(async () => {
      if ((await download(`${bare.url}/keep`, {})) !== SIZE) throw new Error('short bare download')
    })
    if (round < 0) continue
    rounds.add(round, d, h, p)
  }
  rounds.report('storage-download', '64 MiB download throughput through HTTP (local disk)', 0.8)
} finally {
  await stratus.stop()
  await bare.stop()
  rmSync(dir, { recursive: true, force: true })
}
