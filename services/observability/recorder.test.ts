import { afterEach, describe, expect, it, vi } from 'vitest'
import { MinuteRecorder } from './recorder.ts'

const T0 = Date.UTC(2026, 10, 30, 12, 0, 0)

describe('MinuteRecorder', () => {
  afterEach(() => vi.useRealTimers())

  it('counts requests by service and status class, latency into fixed buckets, per minute', () => {
    vi.useFakeTimers({ now: T0 + 10_000 })
    const r = new MinuteRecorder()
    r.request('/db/v1/collections/a/documents', 201, 3)
    r.request('/db/v1/collections/a/documents?x=1', 404, 0.5)
    r.request('/health', 200, 20_000)
    vi.setSystemTime(T0 + 70_000)
    r.request('/db', 500, 7)
    const rows = r.drain([], T0 + 70_000)
    const get = (minute: number, metric: string, labels: string) =>
      rows.find((row) => row.minute === minute && row.metric === metric && row.labels === labels)?.value
    expect(get(T0, 'requests', '{"service":"db","status":"2xx"}')).toBe(1)
    expect(get(T0, 'requests', '{"service":"db","status":"4xx"}')).toBe(1)
    expect(get(T0, 'requests', '{"service":"other","status":"2xx"}')).toBe(1)
    expect(get(T0, 'request_latency_bucket', '{"le":"5","service":"db"}')).toBe(1)
    expect(get(T0, 'request_latency_bucket', '{"le":"1","service":"db"}')).toBe(1)
    expect(get(T0, 'request_latency_bucket', '{"le":"+Inf","service":"other"}')).toBe(1)
    expect(get(T0 + 60_000, 'requests', '{"service":"db","status":"5xx"}')).toBe(1)
    expect(r.drain([], T0 + 71_000)).toEqual([])
  })

  it('bills each execution in whole milliseconds, at least one, and counts failures', () => {
    vi.useFakeTimers({ now: T0 })
    const r = new MinuteRecorder()
    r.execution('f', 'succeeded', 0.04, 128)
    r.execution('f', 'failed', 2.001, 128)
    r.execution('f', 'timeout', 1000, 128)
    const rows = r.drain([], T0)
    const value = (metric: string) =>
      rows.filter((row) => row.metric === metric).reduce((sum, row) => sum + row.value, 0)
    expect(value('function_executions')).toBe(3)
    expect(value('function_failures')).toBe(2)
    expect(value('function_mb_ms')).toBe(128 * (1 + 3 + 1000))
  })

  it('gives back rows a write failed to store, merged with what came since; gauges replace', () => {
    vi.useFakeTimers({ now: T0 })
    const r = new MinuteRecorder()
    r.upload('b')
    const sample = { metric: 'queue_depth', labels: { queue: 'q' }, value: 4 }
    const first = r.drain([sample], T0)
    r.giveBack(first)
    r.upload('b')
    r.egress('b', 10)
    const rows = r.drain([{ ...sample, value: 7 }], T0 + 1000)
    expect(rows.find((row) => row.metric === 'storage_uploads')?.value).toBe(2)
    expect(rows.find((row) => row.metric === 'storage_egress_bytes')?.value).toBe(10)
    expect(rows.find((row) => row.metric === 'queue_depth')?.value).toBe(7)
  })
})
