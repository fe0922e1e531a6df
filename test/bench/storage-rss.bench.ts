import { readFileSync } from 'node:fs'
import { note, report, scaled, spawnServer, startStratus, timeLimit, waitingFor } from './lib.ts'
import { chunks, MiB, put } from './storage-lib.ts'

// Peak RSS growth of the server process while it receives one 256 MiB upload (streamed: it must never
// hold the object in memory), sampled from /proc/<pid>/status every few ms. Baseline: a bare node:http
// server streaming the same body into a file, same run. `value` is Stratus' growth in MiB (goal ≤ 64);
// `ratio` = baseline growth / ours (higher is better).
// When tiny: 16 MiB after one 1 MiB warm-up upload.
timeLimit({ full: 300, tiny: 120 })
const SIZE = scaled(256, 16) * MiB
const WARMUPS = scaled(3, 1)
const WARMUP_SIZE = scaled(4, 1) * MiB
const parts = chunks(SIZE)

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1])
  return kib / 1024
}

/** Uploads SIZE bytes to `url` while sampling the server's RSS; returns the peak growth in MiB. */
async function growthDuring(pid: number, url: string, headers: Record<string, string>): Promise<number> {
  // Warm up the code paths (and the JIT) first, so that only the upload's own memory is measured.
  waitingFor(`uploads to ${url}`)
  for (let i = 0; i < WARMUPS; i++) await put(`${url}-warm${i}`, chunks(WARMUP_SIZE), headers)
  const before = rssMiB(pid)
  let peak = before
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMiB(pid))
  }, 5)
  const res = await put(url, parts, headers)
  clearInterval(sampler)
  peak = Math.max(peak, rssMiB(pid))
  if (res.status !== 200) throw new Error(`upload answered ${res.status}: ${res.text}`)
  note(`rss before ${before.toFixed(1)} MiB, peak ${peak.toFixed(1)} MiB`)
  return peak - before
}

const bare = await spawnServer('test/bench/fixtures/storage-bare-upload.ts', [], {})
const baseline = await growthDuring(bare.child.pid!, `${bare.url}/upload`, {})
await bare.stop()
note(`bare node:http upload: +${baseline.toFixed(1)} MiB`)

const stratus = await startStratus()
try {
  const key = { authorization: `Bearer ${stratus.serviceKey}` }
  const bucket = await fetch(`${stratus.url}/admin/v1/buckets/bench`, { method: 'PUT', headers: key })
  if (bucket.status !== 201) throw new Error(`bucket: ${bucket.status} ${await bucket.text()}`)
  const ours = await growthDuring(stratus.child.pid!, `${stratus.url}/storage/v1/object/bench/big.bin`, key)
  note(`stratus upload: +${ours.toFixed(1)} MiB`)
  report({
    name: 'storage-rss',
    metric: 'peak RSS growth during a 256 MiB upload (local disk)',
    value: ours,
    unit: 'MiB',
    baseline,
    ratio: Math.max(baseline, 1) / Math.max(ours, 1),
    goal_value: 64,
  })
} finally {
  await stratus.stop()
}
