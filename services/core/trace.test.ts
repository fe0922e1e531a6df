import { describe, expect, it } from 'vitest'
import { makeEvent } from './events.ts'
import {
  childSpan,
  currentTrace,
  eventTrace,
  formatTraceparent,
  isTraceId,
  newSpanId,
  newTraceId,
  noteWrite,
  parseTraceparent,
  runInTrace,
  type TraceScope,
} from './trace.ts'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const SPAN = '00f067aa0ba902b7'

describe('parseTraceparent', () => {
  it('reads a version 00 header, keeping only the sampled flag', () => {
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-01`)).toEqual({ traceId: TRACE, spanId: SPAN, flags: '01' })
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-00`)?.flags).toBe('00')
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-03`)?.flags).toBe('01')
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-02`)?.flags).toBe('00')
    expect(parseTraceparent(` 00-${TRACE}-${SPAN}-01 `)?.traceId).toBe(TRACE)
  })

  it('reads the four known fields of a later version and ignores the rest', () => {
    expect(parseTraceparent(`01-${TRACE}-${SPAN}-01`)?.spanId).toBe(SPAN)
    expect(parseTraceparent(`cc-${TRACE}-${SPAN}-01-what-comes-next`)?.traceId).toBe(TRACE)
  })

  it('refuses anything else (the caller then starts a trace)', () => {
    for (const bad of [
      undefined,
      42,
      ['a'],
      '',
      'garbage',
      `00-${TRACE}-${SPAN}`,
      `00-${TRACE}-${SPAN}-01-extra`,
      `ff-${TRACE}-${SPAN}-01`,
      `00-${TRACE.toUpperCase()}-${SPAN}-01`,
      `00-${'0'.repeat(32)}-${SPAN}-01`,
      `00-${TRACE}-${'0'.repeat(16)}-01`,
      `00-${TRACE.slice(1)}-${SPAN}-01`,
      `00_${TRACE}_${SPAN}_01`,
      `0-${TRACE}-${SPAN}-001`,
      `00-${TRACE}-${SPAN}-0g`,
      `00-${TRACE}-${SPAN}-01${'x'.repeat(600)}`,
    ]) {
      expect(parseTraceparent(bad), String(bad)).toBeUndefined()
    }
  })

  it('formats what it parses', () => {
    const header = `00-${TRACE}-${SPAN}-01`
    expect(formatTraceparent(parseTraceparent(header)!)).toBe(header)
  })
})

describe('ids', () => {
  it('are lowercase hex of the W3C sizes, and differ', () => {
    const traces = new Set(Array.from({ length: 2000 }, newTraceId))
    const spans = new Set(Array.from({ length: 2000 }, newSpanId))
    expect(traces.size).toBe(2000)
    expect(spans.size).toBe(2000)
    expect([...traces].filter((id) => !isTraceId(id))).toEqual([])
    expect([...spans].filter((id) => !/^[0-9a-f]{16}$/.test(id))).toEqual([])
  })

  it('trace ids begin with the epoch second, so they sort by time', () => {
    const before = Math.floor(Date.now() / 1000)
    const id = newTraceId()
    const second = Number.parseInt(id.slice(0, 8), 16)
    expect(second).toBeGreaterThanOrEqual(before)
    expect(second).toBeLessThanOrEqual(Math.floor(Date.now() / 1000))
  })

  it('tells trace ids from other strings', () => {
    expect(isTraceId(TRACE)).toBe(true)
    for (const bad of ['', TRACE.toUpperCase(), '0'.repeat(32), `${TRACE}0`, TRACE.slice(1)]) {
      expect(isTraceId(bad), bad).toBe(false)
    }
  })

  it('childSpan keeps the trace and flags, or starts a sampled trace', () => {
    const parent = { traceId: TRACE, spanId: SPAN, flags: '00' }
    const child = childSpan(parent)
    expect(child).toMatchObject({ traceId: TRACE, flags: '00' })
    expect(child.spanId).not.toBe(SPAN)
    const root = childSpan(undefined)
    expect(root.flags).toBe('01')
    expect(root.traceId).not.toBe(TRACE)
  })
})

describe('trace scopes and events', () => {
  it('an event built in a scope is a new span of its trace, caused by the scope', async () => {
    const scope: TraceScope = { traceId: TRACE, spanId: SPAN, flags: '01', wrote: false }
    await runInTrace(scope, async () => {
      await Promise.resolve()
      expect(currentTrace()).toBe(scope)
      const event = makeEvent({
        type: 'queue.message.published',
        subject: 'queues/q',
        data: { id: 'm', payload: 1 },
      })
      const trace = parseTraceparent(event.traceparent)
      expect(trace).toMatchObject({ traceId: TRACE, flags: '01' })
      expect(trace!.spanId).not.toBe(SPAN)
      expect(event.causationid).toBe(SPAN)
      expect(scope.wrote).toBe(false)
      noteWrite()
      expect(scope.wrote).toBe(true)
    })
    expect(currentTrace()).toBeUndefined()
  })

  it('outside any scope an event is the root of a trace of its own', () => {
    const a = eventTrace()
    const b = eventTrace()
    expect(a.causationid).toBeUndefined()
    expect(parseTraceparent(a.traceparent)?.flags).toBe('01')
    expect(parseTraceparent(a.traceparent)?.traceId).not.toBe(parseTraceparent(b.traceparent)?.traceId)
    expect(() => noteWrite()).not.toThrow()
  })
})
