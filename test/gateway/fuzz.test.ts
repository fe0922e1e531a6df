import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deploy, FUNCTIONS_TEST_ENV } from '../functions/helpers.ts'
import { LANES, usePlatform } from '../support/platform.ts'
import {
  type FuzzRequest,
  type Identity,
  type KnownValues,
  type Operation,
  requestsFor,
} from './fuzz/requests.ts'
import type { Schema } from './fuzz/schema-arbitrary.ts'
import { type Outcome, send } from './fuzz/send.ts'

// A schema-driven fuzzer over every operation of /openapi.json: requests generated from each
// operation's parameters and body (valid, invalid, malformed), as nobody, an app user and the service
// key. No request may get a 5xx, go unanswered (a per-request timeout), or have its connection dropped.
// Failing requests are saved under fuzz-failures/ as JSON, and every saved one is replayed first, on
// every lane, so a fixed failure stays fixed.
//
// FUZZ_RUNS: requests per lane (default 600; raise it to fuzz longer). FUZZ_SEED: the generator's seed
// (default: new each run, printed with any failure so the run can be repeated).

const RUNS = Number(process.env.FUZZ_RUNS ?? 600)
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))
const TIMEOUT_MS = Number(process.env.FUZZ_TIMEOUT_MS ?? 10_000)
const CONCURRENCY = 4
const FAILURES_DIR = path.join(import.meta.dirname, 'fuzz-failures')

/** What the suite creates so that generated requests reach real resources, by path parameter name. */
const KNOWN: KnownValues = {
  bucket: ['fuzz'],
  key: ['a/b.txt'],
  col: ['fuzz'],
  id: ['doc-1'],
  name: ['fuzz-fn'],
  function: ['fuzz-fn'],
  path: ['x/y'],
  queue: ['fuzz'],
}

interface SavedFailure {
  request: FuzzRequest
  outcome: Outcome
  lane: string
  seed: number
}

const isFailure = (outcome: Outcome) => outcome.kind !== 'answered' || outcome.status >= 500

function describeOutcome(outcome: Outcome): string {
  if (outcome.kind === 'hang') return `no answer within ${TIMEOUT_MS} ms`
  if (outcome.kind === 'dropped') return `connection dropped: ${outcome.error}`
  return `${outcome.status} ${outcome.body.slice(0, 300)}`
}

function savedFailures(): SavedFailure[] {
  let names: string[]
  try {
    names = readdirSync(FAILURES_DIR).filter((name) => name.endsWith('.json'))
  } catch {
    return []
  }
  return names.sort().map((name) => JSON.parse(readFileSync(path.join(FAILURES_DIR, name), 'utf8')))
}

function save(failure: SavedFailure): string {
  mkdirSync(FAILURES_DIR, { recursive: true })
  const id = createHash('sha256').update(JSON.stringify(failure.request)).digest('hex').slice(0, 12)
  const file = path.join(FAILURES_DIR, `${id}.json`)
  writeFileSync(file, `${JSON.stringify(failure, null, 2)}\n`)
  return file
}

/** Runs `work` over `items`, `limit` at a time, in order of start. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++]!)
    }),
  )
}

describe.each(LANES)('fuzzing every operation of /openapi.json (%s)', (lane) => {
  // With a database server, storing MFA and OAuth secrets needs an encryption key (503 without one).
  // A small body limit, so that the oversized bodies the generator sends are refused (and drained).
  const t = usePlatform(lane, {
    ...FUNCTIONS_TEST_ENV,
    BODY_LIMIT_BYTES: String(64 * 1024),
    ...(lane === 'real' ? { AUTH_ENCRYPTION_KEY: randomBytes(32).toString('base64') } : {}),
  })
  let operations: Operation[]
  let resolve: (ref: string) => Schema | undefined
  let base: URL
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY })
  const tokens: Partial<Record<Identity, string>> = {}

  async function call(method: string, url: string, body?: unknown, token = tokens.service) {
    const res = await fetch(`${t.url}${url}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return {
      status: res.status,
      body: (await res.json().catch(() => null)) as Record<string, unknown> | null,
    }
  }

  /** A fresh app user's token (a fuzzed logout, user deletion or settings change may end the last one). */
  async function refreshUser(): Promise<void> {
    const res = await call('POST', '/auth/v1/anonymous', {}, undefined)
    const session = res.body?.session as { access_token?: string } | undefined
    if (session?.access_token) tokens.user = session.access_token
  }

  beforeAll(async () => {
    base = new URL(t.url)
    tokens.service = t.serviceKey
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, Omit<Operation, 'method' | 'path'>>>
      components?: { schemas?: Record<string, Schema> }
    }
    resolve = (ref) => doc.components?.schemas?.[ref.slice(ref.lastIndexOf('/') + 1)]
    operations = Object.entries(doc.paths).flatMap(([p, item]) =>
      Object.entries(item).map(([method, op]) => ({ ...op, method, path: p })),
    )
    // The resources KNOWN names.
    expect((await call('PUT', '/admin/v1/buckets/fuzz', { maxFileSize: 1024 * 1024 })).status).toBeLessThan(
      300,
    )
    const upload = await fetch(`${t.url}/storage/v1/object/fuzz/a/b.txt`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${tokens.service}`, 'content-type': 'text/plain' },
      body: 'hello',
    })
    expect(upload.status).toBeLessThan(300)
    expect(
      (await call('PUT', '/db/v1/collections/fuzz/documents/doc-1', { data: { n: 1 } })).status,
    ).toBeLessThan(300)
    await deploy(t, 'fuzz-fn', {
      code: 'export default async (event) => ({ ok: true, path: event.data?.path ?? null })',
      triggers: [{ type: 'http', public: true }],
    })
    await refreshUser()
    expect(tokens.user).toBeDefined()
  }, 120_000)

  afterAll(() => agent.destroy())

  /** Sends one request as its identity; refreshes a token the server no longer accepts, once. */
  async function run(request: FuzzRequest): Promise<Outcome> {
    const outcome = await send(base, request, tokens[request.identity], agent, TIMEOUT_MS)
    if (outcome.kind === 'answered' && outcome.status === 401 && request.identity !== 'anonymous') {
      if (request.identity === 'service') tokens.service = await t.platform.keys.currentServiceToken()
      else await refreshUser()
    }
    return outcome
  }

  it('replays every saved failure without a 5xx, a hang or a dropped connection', async () => {
    const failures: string[] = []
    for (const saved of savedFailures()) {
      const outcome = await run(saved.request)
      if (isFailure(outcome)) {
        failures.push(`${saved.request.method} ${saved.request.path} → ${describeOutcome(outcome)}`)
      }
    }
    expect(failures).toEqual([])
  }, 120_000)

  it(`answers ${RUNS} generated requests without a 5xx, a hang or a dropped connection`, async () => {
    const perOperation = Math.max(1, Math.ceil(RUNS / operations.length))
    const requests = operations.flatMap((operation, i) =>
      fc.sample(requestsFor(operation, KNOWN, resolve), { numRuns: perOperation, seed: SEED + i }),
    )
    const failures: SavedFailure[] = []
    const statuses = new Map<number, number>()
    await pool(requests, CONCURRENCY, async (request) => {
      const outcome = await run(request)
      if (outcome.kind === 'answered') statuses.set(outcome.status, (statuses.get(outcome.status) ?? 0) + 1)
      if (isFailure(outcome)) failures.push({ request, outcome, lane, seed: SEED })
    })
    const report = failures.map(
      (f) =>
        `${f.request.operation} as ${f.request.identity}: ${f.request.method} ${
          f.request.path
        } → ${describeOutcome(f.outcome)} (saved: ${path.basename(save(f))})`,
    )
    console.info(
      `fuzz (${lane}, seed ${SEED}): ${requests.length} requests over ${operations.length} operations; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`,
    )
    // The generator reaches past validation: some requests succeed, some are refused.
    const answered = [...statuses].filter(([status]) => status > 0)
    expect(
      answered.some(([status]) => status < 300),
      JSON.stringify([...statuses]),
    ).toBe(true)
    expect(
      answered.some(([status]) => status >= 400),
      JSON.stringify([...statuses]),
    ).toBe(true)
    expect(report, `seed ${SEED} (FUZZ_SEED=${SEED} repeats this run)`).toEqual([])
  }, 600_000)
})
