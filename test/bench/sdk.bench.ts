import { createClient } from '@stratus/sdk'
import { configureCollection } from './db-helpers.ts'
import { note, PHASE_SECONDS, report, scaled, startStratus, timeLimit, waitingFor } from './lib.ts'

// Document gets/s through the SDK — `app.db.collection(c).doc(id).get()` as a signed-in user, so every
// call asks the session for its token, builds headers, and reads and parses the answer — vs a raw
// `fetch` of the same URL with the same headers, parsing the JSON too. Same process, same server (the
// embedded `stratus start` in a child process), same concurrency, same run. The two alternate in 1 s
// slices (this machine's load drifts; neither side may gain from a quieter moment), grouped into
// rounds; `ratio` is the SDK's total rate over raw fetch's, `median_slice_ratio` the median of the
// paired slices. Then, with the network taken away (a fetch answering from memory), the CPU per get of
// each path: what the SDK's own code costs.
timeLimit({ full: 300, tiny: 120 })
const CONCURRENCY = 32
const ROUNDS = scaled(3, 1)
const SLICE_SECONDS = scaled(1, 0.5)
/** Calls per CPU measurement without the network, and how many measurements per side. */
const OFFLINE_CALLS = scaled(20_000, 500)
const OFFLINE_RUNS = scaled(7, 1)
const COLLECTION = 'notes'
const PASSWORD = 'bench password 1'

interface Tally {
  calls: number
  seconds: number
}

const tally = (): Tally => ({ calls: 0, seconds: 0 })

/** Runs `task` from `CONCURRENCY` loops for `seconds`, adding calls and time to `into`. */
async function slice(seconds: number, task: () => Promise<void>, into: Tally): Promise<void> {
  const start = performance.now()
  const deadline = start + seconds * 1000
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        await task()
        into.calls++
      }
    }),
  )
  into.seconds += (performance.now() - start) / 1000
}

function add(into: Tally, from: Tally): Tally {
  into.calls += from.calls
  into.seconds += from.seconds
  return into
}

const perSecond = (t: Tally) => t.calls / t.seconds
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

const stratus = await startStratus({ RATE_LIMIT_SIGNUP: '0' })
const app = createClient(stratus.url, { persistSession: false })
try {
  await configureCollection(stratus.url, stratus.serviceKey, COLLECTION, {
    rules: {
      read: 'auth != null && doc.owner == auth.uid',
      create: 'auth != null && request.data.owner == auth.uid',
    },
  })
  const { user, session } = await app.auth.signUp({
    email: `bench-${Date.now()}@example.test`,
    password: PASSWORD,
  })
  const doc = await app.db
    .collection(COLLECTION)
    .add({ owner: user.id, title: 'benchmark document', n: 42, tags: ['a', 'b'] })

  const url = `${stratus.url}/db/v1/collections/${COLLECTION}/documents/${doc.id}`
  // What the SDK sends for a GET: no body, so no content-type.
  const headers = { accept: 'application/json', authorization: `Bearer ${session.access_token}` }
  const raw = async () => {
    const res = await fetch(url, { headers })
    const body = (await res.json()) as { id?: string }
    if (res.status !== 200 || body.id !== doc.id) throw new Error(`raw GET answered ${res.status}`)
  }
  const viaSdk = async () => {
    const got = await app.db.collection(COLLECTION).doc(doc.id).get()
    if (got?.id !== doc.id) throw new Error('SDK get returned no document')
  }

  waitingFor('alternating slices of raw fetch and SDK gets')
  await slice(SLICE_SECONDS, raw, tally())
  await slice(SLICE_SECONDS, viaSdk, tally())
  const raws: Tally[] = []
  const sdks: Tally[] = []
  const pairRatios: number[] = []
  const slices = scaled(Math.max(2, Math.round(PHASE_SECONDS / SLICE_SECONDS)), 2)
  for (let round = 0; round < ROUNDS; round++) {
    const r = tally()
    const o = tally()
    for (let i = 0; i < slices; i++) {
      const pr = tally()
      const po = tally()
      // Alternate which side goes first, so neither always follows the other's drain.
      if (i % 2 === 0) {
        await slice(SLICE_SECONDS, raw, pr)
        await slice(SLICE_SECONDS, viaSdk, po)
      } else {
        await slice(SLICE_SECONDS, viaSdk, po)
        await slice(SLICE_SECONDS, raw, pr)
      }
      pairRatios.push(perSecond(po) / perSecond(pr))
      add(r, pr)
      add(o, po)
    }
    raws.push(r)
    sdks.push(o)
    note(
      `round ${round + 1}: raw fetch ${perSecond(r).toFixed(0)} gets/s, SDK ${perSecond(o).toFixed(0)} gets/s, ` +
        `ratio ${(perSecond(o) / perSecond(r)).toFixed(3)}`,
    )
  }
  // What the SDK itself adds per get, without the network: both paths against a fetch that answers
  // the document from memory with a minimal response object (the sign-in still goes to the server),
  // CPU per call, alternating, median of 7 after a warm-up.
  waitingFor('CPU per get without the network')
  const answer = await (await fetch(url, { headers })).text()
  const answerHeaders = new Headers({ 'content-type': 'application/json' })
  const memoryFetch = (input: string, init: RequestInit): Promise<Response> =>
    input.includes('/db/v1/')
      ? Promise.resolve({
          ok: true,
          status: 200,
          statusText: 'OK',
          headers: answerHeaders,
          text: async () => answer,
          json: async () => JSON.parse(answer),
        } as unknown as Response)
      : fetch(input, init)
  const offline = createClient(stratus.url, { persistSession: false, fetch: memoryFetch })
  await offline.auth.signInWithPassword({ email: user.email!, password: PASSWORD })
  const offlineTasks = {
    raw: async () => (await memoryFetch(url, { headers })).json(),
    sdk: () => offline.db.collection(COLLECTION).doc(doc.id).get(),
  }
  const cpuPerCall = async (task: () => Promise<unknown>, calls: number): Promise<number> => {
    const cpu = process.cpuUsage()
    for (let i = 0; i < calls; i += CONCURRENCY) await Promise.all(Array.from({ length: CONCURRENCY }, task))
    const used = process.cpuUsage(cpu)
    return (used.user + used.system) / calls
  }
  const offlineRuns = { raw: [] as number[], sdk: [] as number[] }
  for (const side of ['raw', 'sdk'] as const) await cpuPerCall(offlineTasks[side], OFFLINE_CALLS)
  for (let r = 0; r < OFFLINE_RUNS; r++) {
    for (const side of r % 2 === 0 ? (['raw', 'sdk'] as const) : (['sdk', 'raw'] as const)) {
      offlineRuns[side].push(await cpuPerCall(offlineTasks[side], OFFLINE_CALLS))
    }
  }
  offline.close()
  const offlineRaw = median(offlineRuns.raw)
  const offlineSdk = median(offlineRuns.sdk)
  note(`without the network: raw ${offlineRaw.toFixed(2)} µs/get, SDK ${offlineSdk.toFixed(2)} µs/get`)

  const sum = (all: Tally[]): Tally => all.reduce((total, t) => add(total, t), tally())
  const ours = sum(sdks)
  const baseline = sum(raws)
  report({
    name: 'sdk',
    metric: `document gets/s through the SDK (doc.get(), ${CONCURRENCY} in flight), embedded server`,
    value: perSecond(ours),
    unit: 'gets/s',
    baseline: perSecond(baseline),
    ratio: perSecond(ours) / perSecond(baseline),
    goal_ratio: 0.9,
    round_ratios: sdks.map((o, i) => Math.round((perSecond(o) / perSecond(raws[i]!)) * 1000) / 1000),
    median_slice_ratio: median(pairRatios),
    sdk_own_cpu_us_per_get: offlineSdk - offlineRaw,
    sdk_offline_us_per_get: offlineSdk,
    raw_offline_us_per_get: offlineRaw,
  })
} finally {
  app.close()
  await stratus.stop()
}
