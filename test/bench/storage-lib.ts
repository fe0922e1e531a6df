import { request as httpRequest } from 'node:http'
import { Readable } from 'node:stream'
import { note, report } from './lib.ts'

/** Shared pieces of the storage benchmarks (not a benchmark itself: run.ts only runs `*.bench.ts`). */

export const MiB = 1024 * 1024

/** `size` bytes as 1 MiB chunks of one reused, non-uniform buffer: cheap to produce, for client and baseline alike. */
export function chunks(size: number): Buffer[] {
  const block = Buffer.alloc(MiB)
  for (let i = 0; i < MiB; i++) block[i] = (i * 131) & 0xff
  const out: Buffer[] = []
  for (let sent = 0; sent < size; sent += MiB) out.push(block.subarray(0, Math.min(MiB, size - sent)))
  return out
}

/** A readable over `chunks`. */
export function body(parts: readonly Buffer[]): Readable {
  return Readable.from(parts, { objectMode: false })
}

/** Streams `parts` as a PUT with a content-length; resolves with the status and the response text. */
export function put(
  url: string,
  parts: readonly Buffer[],
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  const size = parts.reduce((n, p) => n + p.length, 0)
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: 'PUT',
      headers: { ...headers, 'content-length': size, 'content-type': 'application/octet-stream' },
    })
    req.on('response', (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => {
        text += c
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
    })
    req.on('error', reject)
    body(parts).pipe(req)
  })
}

/** GETs `url` and counts the bytes, discarding them. */
export function download(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { headers }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`GET ${url} answered ${res.statusCode}`))
      let n = 0
      res.on('data', (c: Buffer) => {
        n += c.length
      })
      res.on('end', () => resolve(n))
      res.on('error', reject)
    })
      .on('error', reject)
      .end()
  })
}

/** Drains a stream, counting its bytes. */
export async function drain(stream: Readable): Promise<number> {
  let n = 0
  for await (const c of stream) n += (c as Buffer).length
  return n
}

/** Median of `values`. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Seconds `fn` takes. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now()
  await fn()
  return (performance.now() - start) / 1000
}

/**
 * The rounds of a storage throughput benchmark: MB/s of `bytes` moved directly through the driver
 * (the baseline), through Stratus's HTTP API, and through a bare node:http server (context only).
 */
export class ThroughputRounds {
  private readonly direct: number[] = []
  private readonly http: number[] = []
  private readonly plain: number[] = []

  constructor(private readonly bytes: number) {}

  /** Records one round's durations in seconds and prints its rates. */
  add(round: number, directSeconds: number, httpSeconds: number, plainSeconds: number): void {
    const rate = (seconds: number) => this.bytes / 1e6 / seconds
    this.direct.push(rate(directSeconds))
    this.http.push(rate(httpSeconds))
    this.plain.push(rate(plainSeconds))
    note(
      `round ${round}: direct ${this.direct.at(-1)!.toFixed(0)} MB/s, http ${this.http.at(-1)!.toFixed(0)} MB/s, bare node:http ${this.plain.at(-1)!.toFixed(0)} MB/s`,
    )
  }

  /** Prints the result line: median HTTP rate against median direct rate, held against `goalRatio`. */
  report(name: string, metric: string, goalRatio: number): void {
    const ours = median(this.http)
    const baseline = median(this.direct)
    report({
      name,
      metric,
      value: ours,
      unit: 'MB/s',
      baseline,
      ratio: ours / baseline,
      goal_ratio: goalRatio,
      bare_node_http: median(this.plain),
      // Against what a bare node:http server moves over the same loopback in the same rounds: the
      // part of the gap that is HTTP and TCP (copies through the kernel), not Stratus.
      ratio_to_bare_node_http: ours / median(this.plain),
    })
  }
}
