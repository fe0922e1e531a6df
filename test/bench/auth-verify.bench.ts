import { createBenchDatabase, loadHttp, note, report, startStratus, timeLimit } from './lib.ts'

// Authenticated GET /auth/v1/user (ES256 verification in the identity hook, then the user and its
// session read from the database) vs the same gateway's GET /health, same process, same run.
timeLimit({ full: 300, tiny: 120 })
const database = await createBenchDatabase()
const stratus = await startStratus({ DATABASE_URL: database.url, RATE_LIMIT_SIGNUP: '0' })
try {
  const signup = await fetch(`${stratus.url}/auth/v1/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'bench@example.test', password: 'bench password 1' }),
  })
  if (signup.status !== 201) throw new Error(`sign-up failed: ${signup.status} ${await signup.text()}`)
  const { session } = (await signup.json()) as { session: { access_token: string } }

  // /health is measured before and after, and the better run is the baseline: the process warms up
  // as it goes, and the ratio must not flatter us.
  const before = await loadHttp(`${stratus.url}/health`)
  const ours = await loadHttp(`${stratus.url}/auth/v1/user`, {
    headers: { authorization: `Bearer ${session.access_token}` },
  })
  const after = await loadHttp(`${stratus.url}/health`)
  const health = before.rps >= after.rps ? before : after
  note(`GET /health: ${before.rps.toFixed(0)} then ${after.rps.toFixed(0)} req/s, p99 ${health.p99} ms`)
  note(`GET /auth/v1/user: ${ours.rps.toFixed(0)} req/s, p99 ${ours.p99} ms`)
  if (ours.errors || ours.non2xx)
    throw new Error(`GET /auth/v1/user answered errors: ${JSON.stringify(ours)}`)
  report({
    name: 'auth-verify',
    metric: 'authenticated GET /auth/v1/user throughput',
    value: ours.rps,
    unit: 'req/s',
    baseline: health.rps,
    ratio: ours.rps / health.rps,
    p99_ms: ours.p99,
    baseline_p99_ms: health.p99,
    goal_ratio: 0.6,
  })
} finally {
  await stratus.stop()
  await database.drop()
}
