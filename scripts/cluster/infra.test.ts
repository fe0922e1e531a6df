// infra/ checked, not just written: the one environment source is what compose, Kubernetes and the
// cluster script all read; the manifests (base and autoscaling overlays) render; the autoscalers query
// metrics that /metrics really serves; the HAProxy configuration is valid once the cluster renders it.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments, parse as parseYaml } from 'yaml'
import { DISPATCHER_SUBSCRIBER } from '../../functions-runtime/dispatcher.ts'
import { createFunctionMetrics } from '../../functions-runtime/metrics.ts'
import { CONFIG_VARIABLES, loadConfig } from '../../services/core/config.ts'
import { createMetrics } from '../../services/core/metrics.ts'
import { CONNECTION_VARIABLES, clusterEnvironment, HOST_OVERRIDES } from './cluster.ts'
import { parseEnvFile, readStratusEnv } from './env-file.ts'
import { readHaproxyTemplate, renderHaproxyConfig } from './haproxy.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8')
const fileEnv = readStratusEnv()

function hasCommand(command: string): boolean {
  return spawnSync(command, ['--help'], { stdio: 'ignore' }).error === undefined
}

interface K8sObject {
  kind: string
  metadata: { name: string }
  data?: Record<string, string>
  spec?: Record<string, unknown>
}

function kustomize(dir: string): K8sObject[] {
  const result = spawnSync('kubectl', ['kustomize', path.join(ROOT, dir)], { encoding: 'utf8' })
  expect(result.stderr).toBe('')
  expect(result.status).toBe(0)
  return parseAllDocuments(result.stdout).map((doc) => doc.toJSON() as K8sObject)
}

describe('the env file reader', () => {
  it('reads KEY=value lines, skipping comments and blank lines', () => {
    expect(parseEnvFile('# c\n\nA=1\nB_2=x=y\nC=\n')).toEqual({ A: '1', B_2: 'x=y', C: '' })
  })

  it.each([
    ['A="1"', /quotes/],
    ['A=$HOME', /quotes and \$/],
    ['export A=1', /KEY=value/],
    ['a=1', /KEY=value/],
    ['A=1\nA=2', /set twice/],
  ])('refuses %j, which compose and kustomize would read differently', (text, message) => {
    expect(() => parseEnvFile(text)).toThrow(message)
  })
})

describe('infra/env/stratus.env, the one environment source', () => {
  it('names only real settings, which the server accepts', () => {
    const known = new Set<string>(CONFIG_VARIABLES)
    for (const key of Object.keys(fileEnv)) expect(known, key).toContain(key)
    const connections = {
      DATABASE_URL: 'postgres://u@h:5432/d',
      REDIS_URL: 'redis://h:6379',
      S3_ENDPOINT: 'http://h:9000',
      S3_ACCESS_KEY: 'a',
      S3_SECRET_KEY: 'b',
      AUTH_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
    }
    expect(() => loadConfig({ ...fileEnv, ...connections })).not.toThrow()
  })

  it('holds no connection setting or secret (those differ per deployment)', () => {
    for (const key of CONNECTION_VARIABLES) expect(fileEnv).not.toHaveProperty(key)
  })

  it('is what every Stratus service of compose reads, which adds only connection settings', () => {
    const compose = parseYaml(read('infra/compose.yaml'), { merge: true }) as {
      services: Record<
        string,
        { command?: string[]; env_file?: string; environment?: Record<string, string> }
      >
    }
    const stratusServices = Object.entries(compose.services).filter(([, service]) =>
      service.command?.includes('stratus'),
    )
    expect(stratusServices.map(([name]) => name).sort()).toEqual(['api', 'migrate', 'worker'])
    for (const [name, service] of stratusServices) {
      expect(path.resolve(ROOT, 'infra', service.env_file ?? ''), name).toBe(
        path.join(ROOT, 'infra/env/stratus.env'),
      )
      expect(Object.keys(service.environment ?? {}).sort(), name).toEqual([...CONNECTION_VARIABLES].sort())
    }
    // The bucket the init container creates is the one the nodes use.
    expect(compose.services['minio-init']?.env_file).toBe('env/stratus.env')
  })

  it('is what the cluster script gives its nodes, but for HOST and PORT (its nodes share one host)', () => {
    const connections = Object.fromEntries(
      CONNECTION_VARIABLES.map((key) => [key, `value-of-${key}`]),
    ) as Record<(typeof CONNECTION_VARIABLES)[number], string>
    const env = clusterEnvironment(fileEnv, connections)
    for (const [key, value] of Object.entries(fileEnv)) {
      if ((HOST_OVERRIDES as readonly string[]).includes(key)) continue
      expect(env[key], key).toBe(value)
    }
    expect(env.HOST).toBe('127.0.0.1')
    expect(env).not.toHaveProperty('PORT')
    for (const key of CONNECTION_VARIABLES) expect(env[key]).toBe(`value-of-${key}`)
    expect(clusterEnvironment(fileEnv, connections, { LOG_LEVEL: 'debug' }).LOG_LEVEL).toBe('debug')
  })

  it('the Kubernetes Secret template holds exactly the connection settings', () => {
    const secret = parseYaml(read('infra/k8s/secret.example.yaml')) as { stringData: Record<string, string> }
    expect(Object.keys(secret.stringData).sort()).toEqual([...CONNECTION_VARIABLES].sort())
  })
})

describe.skipIf(!hasCommand('kubectl') && process.env.REQUIRE_KUBECTL !== '1')('kubectl kustomize', () => {
  it('renders the base with the ConfigMap generated from stratus.env, read by every pod', () => {
    const objects = kustomize('infra/k8s')
    const configMap = objects.find((o) => o.kind === 'ConfigMap')
    expect(configMap?.metadata.name).toBe('stratus-config')
    expect(configMap?.data).toEqual(fileEnv)
    const deployments = objects.filter((o) => o.kind === 'Deployment')
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['stratus-api', 'stratus-worker'])
    for (const deployment of deployments)
      expect(JSON.stringify(deployment.spec)).toContain('"name":"stratus-config"')
    // migrate-job.yaml is applied on its own and names the same ConfigMap.
    expect(read('infra/k8s/migrate-job.yaml')).toContain('name: stratus-config')
    const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler')
    expect(JSON.stringify(hpa?.spec)).toContain('"name":"cpu"')
    expect(JSON.stringify(hpa?.spec)).toContain('"name":"stratus-api"')
  })

  /** Every metric name a query uses (stratus_…), and every subscriber it filters on. */
  function queriedMetrics(text: string): { metrics: string[]; subscribers: string[] } {
    return {
      metrics: [...new Set(text.match(/stratus_[a-z_]+(?=\{)/g) ?? [])],
      subscribers: [...new Set([...text.matchAll(/subscriber=\\?"([^"\\]+)/g)].map((m) => m[1] ?? ''))],
    }
  }

  // The registry /metrics serves: the platform's metrics and the function runtime's, registered on it.
  const { registry } = createMetrics()
  createFunctionMetrics(registry)
  const served = new Set(registry.getMetricsAsArray().map((metric) => metric.name))

  it('renders the KEDA overlay: workers scale on function backlog and queue depth, from served metrics', () => {
    const objects = kustomize('infra/k8s-overlays/keda')
    const scaled = objects.find((o) => o.kind === 'ScaledObject')
    expect(scaled?.metadata.name).toBe('stratus-worker')
    const spec = JSON.stringify(scaled?.spec)
    expect(spec).toContain('"name":"stratus-worker"')
    const { metrics, subscribers } = queriedMetrics(spec)
    expect(metrics.sort()).toEqual(['stratus_bus_queue_depth', 'stratus_queue_depth'])
    for (const metric of metrics) expect(served, metric).toContain(metric)
    expect(subscribers).toEqual([DISPATCHER_SUBSCRIBER])
  })

  it('renders the external-metrics overlay: a worker HPA on the same two series', () => {
    const objects = kustomize('infra/k8s-overlays/external-metrics')
    const hpas = objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')
    expect(hpas.map((h) => h.metadata.name).sort()).toEqual(['stratus-api', 'stratus-worker'])
    const rules = objects.find((o) => o.metadata.name === 'stratus-prometheus-adapter-rules')
    const { metrics, subscribers } = queriedMetrics(JSON.stringify(rules?.data))
    for (const metric of metrics) expect(served, metric).toContain(metric)
    expect(metrics.sort()).toEqual(['stratus_bus_queue_depth', 'stratus_queue_depth'])
    expect(subscribers).toEqual([DISPATCHER_SUBSCRIBER])
    const names = JSON.stringify(hpas.find((h) => h.metadata.name === 'stratus-worker')?.spec)
    for (const name of ['stratus_function_backlog', 'stratus_queue_waiting']) {
      expect(names).toContain(name)
      expect(JSON.stringify(rules?.data)).toContain(`as: ${name}`)
    }
  })
})

describe('the HAProxy configuration', () => {
  const rendered = renderHaproxyConfig(readHaproxyTemplate(), {
    front: 18080,
    stats: 18404,
    servers: [
      { host: '127.0.0.1', port: 18090 },
      { host: '127.0.0.1', port: 18091 },
      { host: '127.0.0.1', port: 18092 },
    ],
  })

  it('fronts the compose api replicas by their container names', () => {
    const compose = parseYaml(read('infra/compose.yaml'), { merge: true }) as {
      name: string
      services: Record<string, { volumes?: string[]; deploy?: { replicas?: number } }>
    }
    expect(compose.services.haproxy?.volumes).toContain(
      './haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro',
    )
    const replicas = compose.services.api?.deploy?.replicas ?? 1
    const servers = readHaproxyTemplate().match(/^\s*server \S+ (\S+):8080 check$/gm) ?? []
    expect(servers.map((line) => line.trim().split(' ')[2])).toEqual(
      Array.from({ length: replicas }, (_, index) => `${compose.name}-api-${index + 1}:8080`),
    )
  })

  it('renders the cluster ports into a copy and keeps every other line', () => {
    expect(rendered).toContain('bind 127.0.0.1:18080')
    expect(rendered).toContain('bind 127.0.0.1:18404')
    expect(rendered.match(/^\s*server .*$/gm)).toEqual([
      '  server api1 127.0.0.1:18090 check',
      '  server api2 127.0.0.1:18091 check',
      '  server api3 127.0.0.1:18092 check',
    ])
    expect(rendered).toContain('http-check send meth GET uri /ready')
    expect(rendered).toContain('timeout tunnel')
    expect(() =>
      renderHaproxyConfig('frontend x\n  bind *:1\n', { front: 1, stats: 2, servers: [] }),
    ).toThrow(/no `server` line/)
  })

  it.skipIf(!existsSync('/usr/sbin/haproxy') && process.env.REQUIRE_HAPROXY !== '1')(
    'is valid for haproxy -c, as shipped and as rendered',
    () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'stratus-haproxy-'))
      try {
        const file = path.join(dir, 'haproxy.cfg')
        writeFileSync(file, rendered)
        for (const config of [file, path.join(ROOT, 'infra/haproxy/haproxy.cfg')]) {
          const check = spawnSync('haproxy', ['-c', '-f', config], { encoding: 'utf8' })
          expect(check.status, check.stderr + check.stdout).toBe(0)
        }
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  )
})
