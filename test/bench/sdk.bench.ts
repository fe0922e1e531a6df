import { createClient } from '@stratus/sdk'
import { configureCollection } from './db-helpers.ts'
import { note, PHASE_SECONDS, report, startStratus } from './lib.ts'

// Document gets/s through the SDK — `app.db.collection(c).doc(id).get()` as a signed-in user, so every
// call asks the session for its token, builds headers, and reads and parses the answer — vs a raw
// `fetch` of the same URL with the same headers, parsing the JSON too. Same process, same server (the
// embedded `stratus start` in a child process), same concurrency, same run. The two alternate in 1 s
// slices (this machine's load drifts; neither side may gain from a quieter moment), grouped into
// rounds; `ratio` is the SDK's total rate over raw fetch's, `median_slice_ratio` the median of the
// paired slices. The bench process's own CPU per get (the server runs elsewhere) shows what each side
// costs on the client, and `sdk_own_cpu_us_per_get` what the SDK adds with the network taken away.
const CONCURRENCY = 32
const ROUNDS = 3
const SLICE_SECONDS = 1
const COLLECTION = 'notes'
const PASSWORD = 'bench password 1'

interface Tally {
  calls: number
  seconds: number
  cpuMicros: number
}

const tally = (): Tally => ({ calls: 0, seconds: 0, cpuMicros: 0 })

/** Runs `task` from `CONCURRENCY` loops for `seconds`, adding calls, time and client CPU to `into`. */
async function slice(seconds: number, task: () => Promise<void>, into: Tally): Promise<void> {
  const start = performance.now()
  const cpu = process.cpuUsage()
  const deadline = start + seconds * 1000
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        await task()
        into.calls++
      }
    }),
  )
  const used = process.cpuUsage(cpu)
  into.cpuMicros += used.user + used.system
  into.seconds += (performance.now() - start) / 1000
}

function add(into: Tally, from: Tally): Tally {
  into.calls += from.calls
  into.seconds += from.seconds
  into.cpuMicros += from.cpuMicros
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

  await slice(1, raw, tally())
  await slice(1, viaSdk, tally())
  const raws: Tally[] = []
  const sdks: Tally[] = []
  const pairRatios: number[] = []
  const slices = Math.max(2, Math.round(PHASE_SECONDS / SLICE_SECONDS))
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
      `round ${round + 1}: raw fetch ${perSecond(r).toFixed(0)} gets/s (${(r.cpuMicros / r.calls).toFixed(0)} µs client CPU/get), ` +
        `SDK ${perSecond(o).toFixed(0)} gets/s (${(o.cpuMicros / o.calls).toFixed(0)} µs/get), ratio ${(perSecond(o) / perSecond(r)).toFixed(3)}`,
    )
  }
  // What the SDK itself adds per get, without the network: both paths against a fetch that answers
  // the document from memory (the sign-in still goes to the server), CPU per call, median of 5.
  const answer = await (await fetch(url, { headers })).text()
  const memoryFetch = (input: string, init: RequestInit) =>
    input.includes('/db/v1/')
      ? Promise.resolve(new Response(answer, { headers: { 'content-type': 'application/json' } }))
      : fetch(input, init)
  const offline = createClient(stratus.url, { persistSession: false, fetch: memoryFetch })
  await offline.auth.signInWithPassword({ email: user.email!, password: PASSWORD })
  const cpuPerCall = async (task: () => Promise<unknown>): Promise<number> => {
    const runs: number[] = []
    for (let r = 0; r < 5; r++) {
      const cpu = process.cpuUsage()
      for (let i = 0; i < 5000; i += CONCURRENCY) await Promise.all(Array.from({ length: CONCURRENCY }, task))
      const used = process.cpuUsage(cpu)
      runs.push((used.user + used.system) / 5000)
    }
    return median(runs)
  }
  const offlineRaw = await cpuPerCall(async () => (await memoryFetch(url, { headers })).json())
  const offlineSdk = await cpuPerCall(() => offline.db.collection(COLLECTION).doc(doc.id).get())
  offline.close()
  note(`without the network: raw ${offlineRaw.toFixed(1)} µs/get, SDK ${offlineSdk.toFixed(1)} µs/get`)

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
    client_cpu_us_per_get: ours.cpuMicros / ours.calls,
    baseline_client_cpu_us_per_get: baseline.cpuMicros / baseline.calls,
  })
} finally {
  app.close()
  await stratus.stop()
}
