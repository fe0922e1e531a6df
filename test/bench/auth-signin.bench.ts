import { spawn } from 'node:child_process'
import {
  createBenchDatabase,
  loadHttp,
  note,
  PHASE_SECONDS,
  ROOT,
  report,
  scaled,
  startStratus,
  timeLimit,
  trackChild,
  waitingFor,
} from './lib.ts'

// Password sign-ins per second through the gateway (POST /auth/v1/token?grant_type=password: lookup,
// argon2id verify, session + refresh-token insert, ES256 signing) vs raw argon2id verifications per
// second with the same parameters, same machine, same run. The hash dominates by design; the ratio
// shows what the rest of the path costs.
timeLimit({ full: 300, tiny: 120 })
const CONCURRENCY = 16

async function rawVerifications(): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/bench/fixtures/auth-argon2-verify.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      SECONDS: String(PHASE_SECONDS),
      WARMUP_MS: String(scaled(1000, 0)),
      CONCURRENCY: String(CONCURRENCY),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  trackChild(child)
  waitingFor('the raw argon2id baseline process')
  let out = ''
  child.stdout.on('data', (chunk) => {
    out += chunk
  })
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  if (code !== 0) throw new Error(`argon2 baseline exited with ${code}`)
  return (JSON.parse(out.trim().split('\n').pop()!) as { rate: number }).rate
}

const baseline = await rawVerifications()
note(`raw argon2id verify: ${baseline.toFixed(1)}/s`)

const database = await createBenchDatabase()
const stratus = await startStratus({
  DATABASE_URL: database.url,
  RATE_LIMIT_SIGNUP: '0',
  RATE_LIMIT_SIGNIN: '0',
})
try {
  const credentials = JSON.stringify({ email: 'bench@example.test', password: 'bench password 1' })
  const signup = await fetch(`${stratus.url}/auth/v1/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: credentials,
  })
  if (signup.status !== 201) throw new Error(`sign-up failed: ${signup.status} ${await signup.text()}`)
  const ours = await loadHttp(`${stratus.url}/auth/v1/token?grant_type=password`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: credentials,
    connections: CONCURRENCY,
  })
  note(`sign-ins: ${ours.rps.toFixed(1)}/s, p50 ${ours.p50} ms, p99 ${ours.p99} ms`)
  if (ours.errors || ours.non2xx) throw new Error(`sign-in answered errors: ${JSON.stringify(ours)}`)
  report({
    name: 'auth-signin',
    metric: 'password sign-ins per second',
    value: ours.rps,
    unit: 'sign-ins/s',
    baseline,
    ratio: ours.rps / baseline,
    p50_ms: ours.p50,
    p99_ms: ours.p99,
    goal_ratio: 0.8,
  })
} finally {
  await stratus.stop()
  await database.drop()
}
