import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisBus, type RedisBusLogger } from '../../services/bus/redis/redis-bus.ts'
import { eventually, TEST_REDIS_URL, uniqueName } from '../support/lanes.ts'
import { deleteRedisKeys } from '../support/redis.ts'
import { busContract, testEvent } from './bus-contract.ts'

/** Keeps what the bus logs (failed events, throwing listeners) out of the test output. */
const quiet: RedisBusLogger = { warn: () => {}, error: () => {} }

const fixture = fileURLToPath(new URL('./fixtures/slow-subscriber.ts', import.meta.url))

/** Resolves when the child prints `line`; rejects if it exits first. */
function waitForLine(child: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.split('\n').includes(line)) resolve()
    })
    child.once('exit', (code, signal) =>
      reject(new Error(`child exited (${code ?? signal}) before "${line}"`)),
    )
  })
}

describe.skipIf(!TEST_REDIS_URL)('RedisBus', () => {
  const url = TEST_REDIS_URL!
  const suitePrefix = uniqueName('bus')
  let admin: Redis
  let suites = 0

  beforeAll(() => {
    admin = new Redis(url)
  })

  afterAll(async () => {
    await deleteRedisKeys(url, `${suitePrefix}_*`)
    admin.disconnect()
  })

  busContract('redis', async () => {
    const prefix = `${suitePrefix}_${++suites}`
    const opened: RedisBus[] = []
    const open = async (): Promise<RedisBus> => {
      const bus = new RedisBus({ url, prefix, logger: quiet })
      opened.push(bus)
      return bus
    }
    return {
      bus: await open(),
      reopen: open,
      cleanup: async () => {
        await Promise.all(opened.map((bus) => bus.close()))
        await deleteRedisKeys(url, `${prefix}:*`)
      },
    }
  })

  it('rejects ping within its timeout when Redis is down', async () => {
    const errors: string[] = []
    const bus = new RedisBus({
      url: 'redis://127.0.0.1:1',
      prefix: `${suitePrefix}_down`,
      logger: { warn: () => {}, error: (_details, message) => errors.push(message) },
    })
    try {
      const started = Date.now()
      await expect(bus.ping()).rejects.toThrow()
      expect(Date.now() - started).toBeLessThan(3000)
      expect(errors).toContain('bus: Redis connection error')
    } finally {
      await bus.close()
    }
  })

  it('rejects event ids BullMQ cannot use as job ids, naming the event', async () => {
    const prefix = `${suitePrefix}_ids`
    const bus = new RedisBus({ url, prefix, logger: quiet })
    try {
      await bus.subscribe('any', async () => {})
      await expect(bus.publish([{ ...testEvent(7), id: '42' }])).rejects.toThrow(/"42" \(sequence 7\)/)
      await expect(bus.publish([{ ...testEvent(8), id: 'a:b' }])).rejects.toThrow(/"a:b" \(sequence 8\)/)
    } finally {
      await bus.close()
      await deleteRedisKeys(url, `${prefix}:*`)
    }
  })

  it('finishes every event after a subscriber process is killed mid-stream', async () => {
    const prefix = `${suitePrefix}_kill`
    const listKey = `${prefix}:test:handled`
    const total = 50
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, url, prefix, 'slow', listKey, '40'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    // Short locks here too: this process's worker is the one that finds the killed process's job.
    const bus = new RedisBus({ url, prefix, logger: quiet, lockDurationMs: 1000, stalledIntervalMs: 500 })
    try {
      await waitForLine(child, 'ready')
      const events = Array.from({ length: total }, (_, i) => testEvent(i + 1))
      await bus.publish(events)
      await eventually(async () => (await admin.llen(listKey)) >= 10, 15_000, 'the child to handle 10 events')
      const exited = once(child, 'exit')
      child.kill('SIGKILL')
      await exited
      const handledThere = await admin.lrange(listKey, 0, -1)
      expect(handledThere.length).toBeLessThan(total)

      const handledHere: string[] = []
      await bus.subscribe('slow', async (event) => {
        handledHere.push(event.id)
      })
      await eventually(
        () => new Set([...handledThere, ...handledHere]).size === total,
        20_000,
        'every event handled after the kill',
      )
      await bus.drain()
      const handled = [...handledThere, ...handledHere]
      expect(new Set(handled)).toEqual(new Set(events.map((event) => event.id)))
      // At least once: only the event in flight when the process died may run twice.
      expect(handled.length - total).toBeLessThanOrEqual(1)
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await bus.close()
      await deleteRedisKeys(url, `${prefix}:*`)
    }
  })
})
