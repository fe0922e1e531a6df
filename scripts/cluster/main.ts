// npm run cluster [-- --api N --workers M --verbose]: the production topology of infra/ on this machine
// (see docs/scaling.md). Prints the address and the service key; Ctrl-C (or SIGTERM) stops everything
// it started.
import { createWriteStream } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { startCluster } from './cluster.ts'

const { values } = parseArgs({
  options: {
    api: { type: 'string', default: '2' },
    workers: { type: 'string', default: '2' },
    'base-port': { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
})
const count = (value: string | undefined, name: string): number => {
  const parsed = Number(value)
  if (!Number.isInteger(parsed) || parsed < 0) {
    process.stderr.write(`cluster: --${name} must be a whole number (got "${value}")\n`)
    process.exit(2)
  }
  return parsed
}

const logFile = path.join(os.tmpdir(), `stratus-cluster-${process.pid}.log`)
const logStream = createWriteStream(logFile)
const log = (line: string) => {
  logStream.write(`${line}\n`)
  if (values.verbose) process.stderr.write(`${line}\n`)
}

let stopping: Promise<void> | undefined
let stopCluster: (() => Promise<void>) | undefined
let askedDuringStart = false
const shutdown = (signal: string) => {
  if (!stopCluster) {
    // Still starting: stop in order once the start returns; a second signal gives up on order (the
    // servers then die with this process, see startCluster).
    if (askedDuringStart) process.exit(130)
    askedDuringStart = true
    process.stdout.write(`\n${signal}: the cluster stops as soon as it has started (again to force)\n`)
    return
  }
  if (stopping) return
  process.stdout.write(`\n${signal}: stopping the cluster…\n`)
  stopping = stopCluster().then(
    () => {
      process.stdout.write('cluster stopped\n')
      process.exit(0)
    },
    (error: unknown) => {
      process.stderr.write(`cluster: stop failed: ${String(error)}\n`)
      process.exit(1)
    },
  )
}
process.on('SIGINT', () => shutdown('SIGINT'))
process.on('SIGTERM', () => shutdown('SIGTERM'))

process.stdout.write(`Starting the cluster (log: ${logFile})…\n`)
try {
  const cluster = await startCluster({
    apiNodes: count(values.api, 'api'),
    workerNodes: count(values.workers, 'workers'),
    basePort: values['base-port'] === undefined ? undefined : count(values['base-port'], 'base-port'),
    log,
  })
  stopCluster = cluster.stop
  const lines = [
    `Stratus cluster: ${cluster.url}`,
    `Service key: ${cluster.serviceKey}`,
    `HAProxy stats: ${cluster.balancer.url}`,
    `Data: ${cluster.dir} (removed on stop)`,
    ...cluster.nodes.map(
      (node) => `  ${node.name.padEnd(9)} pid ${node.pid()}${node.url ? `  ${node.url}` : ''}`,
    ),
    `  postgres  pid ${cluster.postgres.pid()}  ${cluster.postgres.url}`,
    `  redis     pid ${cluster.redis.pid()}  ${cluster.redis.url}  (AOF on)`,
    `  s3        pid ${cluster.s3.pid()}  ${cluster.s3.url}`,
    `  haproxy   pid ${cluster.balancer.pid()}`,
    'Ctrl-C stops everything.',
  ]
  if (askedDuringStart) shutdown('SIGINT')
  else process.stdout.write(`${lines.join('\n')}\n`)
} catch (error) {
  process.stderr.write(
    `cluster: could not start: ${error instanceof Error ? error.message : String(error)}\n`,
  )
  process.exit(1)
}
