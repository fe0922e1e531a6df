import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { LocalStorageDriver } from '../../services/storage/local/local-driver.ts'
import { scaled, scaledEnv, spawnServer, startStratus, timeLimit, waitingFor } from './lib.ts'
import { body, chunks, MiB, put, ThroughputRounds, timed } from './storage-lib.ts'

// MB/s of a 64 MiB upload through HTTP (PUT /storage/v1/object: gateway, rules, streaming, SHA-256 etag,
// fsync + rename on local disk, metadata + outbox transaction) vs the same bytes written directly through
// the local-disk driver (temp file, fsync, rename) in this process, same run, alternating, median of 5.
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

  const rounds = new ThroughputRounds(SIZE)
  for (let round = -1; round < ROUNDS; round++) {
    waitingFor(`round ${round} of ${ROUNDS - 1} (-1 warms up)`)
    const d = await timed(() => driver.put(`bench/direct-${round}/v`, body(parts)))
    const h = await timed(async () => {
      const res = await put(`${stratus.url}/storage/v1/object/bench/http-${round}`, parts, key)
      if (res.status !== 200) throw new Error(`upload: ${res.status} ${res.text}`)
    })
    const p = await timed(() => put(`${bare.url}/upload`, parts, {}))
    // Round -1 warms every path up.
    if (round < 0) continue
    rounds.add(round, d, h, p)
  }
  rounds.report('storage-upload', '64 MiB upload throughput through HTTP (local disk)', 0.6)
} finally {
  await stratus.stop()
  await bare.stop()
  rmSync(dir, { recursive: true, force: true })
}
