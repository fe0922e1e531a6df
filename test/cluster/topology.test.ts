// The production topology on one machine (scripts/cluster): HAProxy in front of two api nodes, a worker,
// and the cluster's own PostgreSQL, Redis and S3. Writes go through the balancer, a trigger runs on the
// worker, the balancer keeps answering when an api node is killed, and stopping leaves no process behind.
// Needs haproxy (Debian package `haproxy`): skipped when it is absent, unless REQUIRE_HAPROXY=1.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { type Cluster, startCluster } from '../../scripts/cluster/cluster.ts'
import { eventually } from '../support/lanes.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const HAVE_HAPROXY = spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).error === undefined
const REQUIRED = process.env.REQUIRE_HAPROXY === '1'
if (!HAVE_HAPROXY && !REQUIRED)
  process.stderr.write(
    'test/cluster/topology.test.ts: SKIPPED: haproxy is not installed (apt-get install haproxy); REQUIRE_HAPROXY=1 makes this a failure\n',
  )

/** True while a process with this pid exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Pids of processes whose command line mentions `text` (the cluster's folder). */
function processesMentioning(text: string): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry))
    } catch {
      // Gone in between.
    }
  }
  return pids
}

async function call(
  cluster: Cluster,
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${cluster.url}${route}`, {
    method,
    headers: {
      authorization: `Bearer ${cluster.serviceKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  })
  const text = await response.text()
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }
}

async function derived(cluster: Cluster, id: string): Promise<Record<string, unknown> | undefined> {
  const res = await call(cluster, 'GET', `/db/v1/collections/derived/documents/${id}`)
  return res.status === 200 ? res.body : undefined
}

describe.skipIf(!HAVE_HAPROXY && !REQUIRED)('the cluster topology behind HAProxy', () => {
  let cluster: Cluster | undefined
  const output: string[] = []
  afterAll(async () => {
    await cluster?.stop()
  })

  it('serves writes through the balancer, runs triggers on the worker, survives node kills and server restarts, stops clean', async () => {
    try {
      cluster = await startCluster({
        apiNodes: 2,
        workerNodes: 1,
        env: { FUNCTIONS_JOB_LOCK_MS: '2000', FUNCTIONS_RETRY_BACKOFF_MS: '50' },
        log: (line) => output.push(line),
      })
    } catch (error) {
      throw new Error(`${String(error)}\n${output.slice(-60).join('\n')}`)
    }
    const c = cluster
    const [api1, api2, worker] = c.nodes
    expect([api1?.role, api2?.role, worker?.role]).toEqual(['api', 'api', 'worker'])
    const pids = new Set<number>()
    const remember = () => {
      for (const p of [
        ...c.nodes.map((n) => n.pid()),
        c.postgres.pid(),
        c.redis.pid(),
        c.s3.pid(),
        c.balancer.pid(),
      ])
        if (p) pids.add(p)
    }
    remember()
    expect(pids.size).toBe(7)

    // Every node registers in the shared database; any api node answers for the whole cluster.
    await eventually(
      async () => {
        const res = await call(c, 'GET', '/admin/v1/nodes')
        const roles = (res.body.nodes as Array<{ role: string }> | undefined)?.map((n) => n.role).sort()
        return JSON.stringify(roles) === JSON.stringify(['api', 'api', 'worker'])
      },
      30_000,
      'two api nodes and a worker in /admin/v1/nodes',
    )

    const deployed = await call(c, 'PUT', '/admin/v1/functions/derive', {
      code: `export default async (event, ctx) => {
        const id = event.data.document.id
        await ctx.db.collection('derived').doc(id).set({ from: id, event: event.id })
      }`,
      triggers: [{ type: 'event', event: 'db.document.created', subject: 'collections/notes/documents/*' }],
    })
    expect(deployed.status, JSON.stringify(deployed.body)).toBe(201)

    const written = await call(c, 'POST', '/db/v1/collections/notes/documents', {
      id: 'n1',
      data: { text: 'one' },
    })
    expect(written.status, JSON.stringify(written.body)).toBe(201)
    const first = await eventually(() => derived(c, 'n1'), 60_000, 'the trigger of n1')
    expect(first).toMatchObject({ data: { from: 'n1' } })

    // Realtime through the balancer: a WebSocket upgrade passes HAProxy, and a change written through
    // it (whichever api node takes the write) reaches the listener.
    const socket = new WebSocket(`${c.url.replace('http', 'ws')}/realtime/v1?access_token=${c.serviceKey}`)
    const frames: Array<{ type: string; document?: { id: string } }> = []
    socket.on('message', (data) => frames.push(JSON.parse(String(data))))
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject))
    socket.send(JSON.stringify({ type: 'subscribe', id: 's1', collection: 'notes' }))
    await eventually(() => frames.some((f) => f.type === 'subscribed'), 20_000, 'the subscription')
    for (const id of ['w1', 'w2']) {
      const res = await call(c, 'POST', '/db/v1/collections/notes/documents', { id, data: { text: id } })
      expect(res.status).toBe(201)
    }
    await eventually(
      () => ['w1', 'w2'].every((id) => frames.some((f) => f.type === 'change' && f.document?.id === id)),
      20_000,
      'both changes on the WebSocket',
    )
    socket.close()

    // The worker runs the triggers: killed, nothing derives n2; started again, it catches up.
    await worker?.kill('SIGKILL')
    expect(worker?.pid()).toBeUndefined()
    const second = await call(c, 'POST', '/db/v1/collections/notes/documents', {
      id: 'n2',
      data: { text: 'two' },
    })
    expect(second.status).toBe(201)
    expect(await derived(c, 'n2')).toBeUndefined()
    await worker?.start()
    remember()
    await eventually(() => derived(c, 'n2'), 60_000, 'the trigger of n2 after the worker restart')

    // An api node dies: the balancer retries its connections on the other node and drops it.
    await api1?.kill('SIGKILL')
    for (let i = 0; i < 10; i++) {
      const res = await call(c, 'GET', '/db/v1/collections/notes/documents/n1')
      expect(res.status, `request ${i} after the kill`).toBe(200)
    }
    const third = await call(c, 'POST', '/db/v1/collections/notes/documents', {
      id: 'n3',
      data: { text: 'three' },
    })
    expect(third.status, JSON.stringify(third.body)).toBe(201)
    await eventually(() => derived(c, 'n3'), 60_000, 'the trigger of n3')
    // Restarted, it answers again on its own address.
    await api1?.start()
    remember()
    expect((await fetch(`${api1?.url}/ready`)).status).toBe(200)

    // The servers restart in place for fault injection: PostgreSQL after a SIGKILL (its orphaned
    // backends are reaped first), Redis (AOF) and S3; the nodes reconnect and writes go on.
    await c.postgres.kill('SIGKILL')
    await c.postgres.start()
    await c.redis.restart()
    await c.s3.restart()
    remember()
    await eventually(
      async () =>
        (await call(c, 'POST', '/db/v1/collections/notes/documents', { id: 'n4', data: { text: 'four' } }))
          .status === 201,
      60_000,
      'a write after the servers restarted',
    )
    await eventually(() => derived(c, 'n4'), 60_000, 'the trigger of n4')

    const dir = c.dir
    await c.stop()
    cluster = undefined
    expect([...pids].filter(alive)).toEqual([])
    expect(processesMentioning(dir)).toEqual([])
    expect(existsSync(dir)).toBe(false)
  }, 300_000)
})

describe.skipIf(!HAVE_HAPROXY && !REQUIRED)('npm run cluster', () => {
  it('prints the address and the service key; Ctrl-C stops every process it started', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'scripts/cluster/main.ts', '--api', '1', '--workers', '1'],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    try {
      await eventually(
        () => stdout.includes('Ctrl-C stops everything'),
        180_000,
        `the cluster to start: ${stderr}`,
      )
    } catch (error) {
      child.kill('SIGINT')
      await exited
      throw error
    }
    const url = /Stratus cluster: (\S+)/.exec(stdout)?.[1]
    expect(/Service key: (\S+)/.exec(stdout)?.[1]).toMatch(/^ey/)
    const dir = /Data: (\S+)/.exec(stdout)?.[1] ?? ''
    expect(dir).not.toBe('')
    const pids = [...stdout.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]))
    // api, worker, postgres, redis, s3, haproxy
    expect(pids).toHaveLength(6)
    expect((await fetch(`${url}/ready`)).status).toBe(200)

    child.kill('SIGINT')
    expect(await exited).toBe(0)
    expect(stdout).toContain('cluster stopped')
    expect(pids.filter(alive)).toEqual([])
    expect(processesMentioning(dir)).toEqual([])
  }, 300_000)
})
