import { describe, expect, it } from 'vitest'
import { ResourceStack } from './resource-stack.ts'

function recordingLogger() {
  const errors: { fields: Record<string, unknown>; message: string }[] = []
  return {
    errors,
    logger: { error: (fields: Record<string, unknown>, message: string) => errors.push({ fields, message }) },
  }
}

describe('ResourceStack', () => {
  it('closes newest first, each close finished before the next begins', async () => {
    const { logger } = recordingLogger()
    const stack = new ResourceStack(logger)
    const events: string[] = []
    for (const name of ['db', 'bus', 'gateway']) {
      stack.defer(name, async () => {
        events.push(`${name}:start`)
        await new Promise((resolve) => setImmediate(resolve))
        events.push(`${name}:end`)
      })
    }
    expect(stack.names).toEqual(['db', 'bus', 'gateway'])
    await stack.unwind()
    expect(events).toEqual(['gateway:start', 'gateway:end', 'bus:start', 'bus:end', 'db:start', 'db:end'])
    expect(stack.names).toEqual([])
  })

  it('logs a failing close, still runs the others, then rejects naming every failure', async () => {
    const { errors, logger } = recordingLogger()
    const stack = new ResourceStack(logger)
    const closed: string[] = []
    const boom = new Error('socket already gone')
    stack.defer('db', () => void closed.push('db'))
    stack.defer('redis', () => {
      throw boom
    })
    stack.defer('storage', () => Promise.reject(new Error('disk gone')))
    stack.defer('gateway', () => void closed.push('gateway'))

    const error = await stack.unwind().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(closed).toEqual(['gateway', 'db'])
    expect(error).toBeInstanceOf(AggregateError)
    expect((error as AggregateError).message).toBe('could not close storage, redis')
    expect((error as AggregateError).errors).toEqual([new Error('disk gone'), boom])
    expect(errors.map((e) => [e.fields.resource, e.message])).toEqual([
      ['storage', 'closing storage failed'],
      ['redis', 'closing redis failed'],
    ])
    expect(errors[1]!.fields.err).toBe(boom)
  })

  it('is idempotent: concurrent and later unwinds share one pass and close nothing twice', async () => {
    const { logger } = recordingLogger()
    const stack = new ResourceStack(logger)
    let closes = 0
    let release!: () => void
    stack.defer('slow', () => {
      closes++
      return new Promise<void>((resolve) => {
        release = resolve
      })
    })
    const first = stack.unwind()
    const second = stack.unwind()
    expect(second).toBe(first)
    release()
    await first
    await stack.unwind()
    expect(closes).toBe(1)
  })

  it('closes at once what is registered after unwinding began', async () => {
    const { errors, logger } = recordingLogger()
    const stack = new ResourceStack(logger)
    await stack.unwind()
    const closed: string[] = []
    stack.defer('late', () => void closed.push('late'))
    stack.defer('late-and-broken', () => {
      throw new Error('broken')
    })
    await new Promise((resolve) => setImmediate(resolve))
    expect(closed).toEqual(['late'])
    expect(errors.map((e) => e.fields.resource)).toEqual(['late-and-broken'])
    expect(stack.names).toEqual([])
  })
})
