// Shared steps of the database benchmarks (not a benchmark itself: no .bench.ts suffix).

/** Signs up a user on a running Stratus and returns its uid and access token. */
export async function signUpBenchUser(url: string): Promise<{ uid: string; token: string }> {
  const res = await fetch(`${url}/auth/v1/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `bench-${Date.now()}@example.test`, password: 'bench password 1' }),
  })
  if (res.status !== 201) throw new Error(`sign-up failed: ${res.status} ${await res.text()}`)
  const body = (await res.json()) as { user: { id: string }; session: { access_token: string } }
  return { uid: body.user.id, token: body.session.access_token }
}

/** PUT /admin/v1/collections/{name} with the service key. */
export async function configureCollection(
  url: string,
  serviceKey: string,
  name: string,
  config: object,
): Promise<void> {
  const res = await fetch(`${url}/admin/v1/collections/${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${serviceKey}` },
    body: JSON.stringify(config),
  })
  if (res.status !== 200) throw new Error(`collection config failed: ${res.status} ${await res.text()}`)
}
