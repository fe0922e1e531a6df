import { describe, expect, it } from 'vitest'
import { type ChaosRecords, checkInvariants, listenerFaults, renderTable, tickFaults } from './invariants.ts'

const T0 = Date.parse('2026-12-07T12:00:00.000Z')

/** A run where everything held: two notes, their effects, three ticks, one listener, one fault. */
function clean(): ChaosRecords {
  return {
    minutes: 1,
    faults: [{ kind: 'worker-kill', at: T0 + 10_000, recoveredAt: T0 + 12_500 }],
    faultSlackSeconds: 2,
    notes: [
      { id: 'n1', createdEventId: 'e1' },
      { id: 'n2', createdEventId: 'e2' },
    ],
    derived: [{ source: 'n1' }, { source: 'n2' }],
    messages: ['m1', 'm2'],
    messageRecords: [{ source: 'm1' }, { source: 'm2' }],
    messageSources: ['n1', 'n2'],
    uploads: ['u1'],
    uploadRecords: [{ source: 'u1' }],
    ticks: [
      { scheduledAt: T0 + 1000, eventId: 't1' },
      { scheduledAt: T0 + 2000, eventId: 't2' },
      { scheduledAt: T0 + 3000, eventId: 't3' },
    ],
    tickSpan: { from: T0 + 1000, to: T0 + 3000 },
    duplicateSuccesses: [],
    deadLetters: 0,
    listeners: [{ name: 'shard-0', expected: [3, 7, 9], seen: [3, 7, 9] }],
    quiescence: {
      drainSeconds: 2,
      boundSeconds: 10,
      settleSeconds: 3,
      settleBoundSeconds: 80,
      unpublishedOutbox: 0,
      queueDepth: 0,
      inFlight: 0,
      undispatchedMessages: 0,
    },
    errors: [{ at: T0 + 11_000, status: 0, what: 'PUT note' }],
  }
}

function failing(records: ChaosRecords): string[] {
  return checkInvariants(records, T0 + 60_000)
    .rows.filter((row) => !row.ok)
    .map((row) => row.invariant)
}

describe('checkInvariants', () => {
  it('passes a clean run and reports its summary', () => {
    const verdict = checkInvariants(clean(), T0 + 60_000)
    expect(failing(clean())).toEqual([])
    expect(verdict.ok).toBe(true)
    expect(verdict.summary).toEqual({
      minutes: 1,
      faults: { 'worker-kill': 1 },
      documents: 2,
      lost: 0,
      duplicated: 0,
      messagesLost: 0,
      listenerGaps: 0,
      stuckExecutions: 0,
      maxRecoverySeconds: 2.5,
    })
  })

  const cases: Array<[string, (records: ChaosRecords) => void, string, Partial<Record<string, number>>]> = [
    [
      'a note without its derived document',
      (r) => r.derived.pop(),
      'every document has exactly one derived document',
      { lost: 1 },
    ],
    [
      'a note with two derived documents',
      (r) => r.derived.push({ source: 'n1' }),
      'every document has exactly one derived document',
      { duplicated: 1 },
    ],
    [
      'a message never consumed',
      (r) => r.messageRecords.shift(),
      'every queue message processed to success',
      { messagesLost: 1 },
    ],
    [
      'a note that published no message',
      (r) => r.messageSources.pop(),
      'every document published its queue message',
      { messagesLost: 1 },
    ],
    [
      'an event that succeeded twice',
      (r) => r.duplicateSuccesses.push({ functionName: 'chaos-derive', eventId: 'e1', count: 2 }),
      'one success per (function, event)',
      { duplicated: 1 },
    ],
    [
      'a listener whose subscription the server ended',
      (r) => {
        if (r.listeners[0]) r.listeners[0].failed = 'request/invalid: since is after the latest sequence'
      },
      'listeners saw every change, in order',
      { listenerGaps: 0 },
    ],
    [
      'a dead letter',
      (r) => {
        r.deadLetters = 1
      },
      'no dead letters',
      {},
    ],
    [
      'an upload whose trigger never ran',
      (r) => r.uploadRecords.pop(),
      'every upload ran its trigger',
      { lost: 1 },
    ],
    [
      'a tick fired twice',
      (r) => r.ticks.push({ scheduledAt: T0 + 2000, eventId: 't2-again' }),
      'schedule ticks not doubled',
      { duplicated: 1 },
    ],
    ['a tick lost outside any fault', (r) => r.ticks.splice(1, 1), 'schedule ticks lost outside outages', {}],
    [
      'a listener gap',
      (r) => r.listeners[0]?.seen.splice(1, 1),
      'listeners saw every change, in order',
      { listenerGaps: 1 },
    ],
    [
      'a listener out of order',
      (r) => r.listeners[0]?.seen.reverse(),
      'listeners saw every change, in order',
      { listenerGaps: 2 },
    ],
    [
      'an execution left in flight',
      (r) => {
        r.quiescence.inFlight = 1
      },
      'nothing left in flight after quiescence',
      { stuckExecutions: 1 },
    ],
    [
      'a drain beyond the bound',
      (r) => {
        r.quiescence.drainSeconds = 11
      },
      'outbox lag and queue depths back to 0',
      {},
    ],
    [
      'effects late beyond their bound',
      (r) => {
        r.quiescence.settleSeconds = 81
      },
      'every effect in place after the workload',
      {},
    ],
    [
      'a fault never recovered',
      (r) => {
        r.faults.push({ kind: 'redis-lose', at: T0 + 20_000, recoveredAt: null })
      },
      'every fault recovered',
      {},
    ],
    [
      'an error outside the fault windows',
      (r) => r.errors.push({ at: T0 + 40_000, status: 503, what: 'PUT note' }),
      'errors only 5xx/connection, in fault windows',
      {},
    ],
    [
      'a 4xx during a fault',
      (r) => r.errors.push({ at: T0 + 11_000, status: 400, what: 'PUT note' }),
      'errors only 5xx/connection, in fault windows',
      {},
    ],
  ]
  it.each(cases)('fails on %s', (_name, spoil, invariant, summary) => {
    const records = clean()
    spoil(records)
    const verdict = checkInvariants(records, T0 + 60_000)
    expect(verdict.ok).toBe(false)
    expect(failing(records)).toEqual([invariant])
    expect(verdict.summary).toMatchObject(summary)
  })
})

describe('tickFaults', () => {
  it('forgives missing ticks inside an outage only', () => {
    const ticks = [
      { scheduledAt: T0, eventId: 'a' },
      { scheduledAt: T0 + 4000, eventId: 'b' },
    ]
    const span = { from: T0, to: T0 + 4000 }
    expect(tickFaults(ticks, span, [])).toEqual({ doubled: 0, lost: 3 })
    expect(tickFaults(ticks, span, [{ from: T0 + 500, to: T0 + 2500 }])).toEqual({ doubled: 0, lost: 1 })
    expect(tickFaults(ticks, span, [{ from: T0 + 500, to: T0 + 3500 }])).toEqual({ doubled: 0, lost: 0 })
  })
})

describe('listenerFaults', () => {
  it('counts a repeated frame apart from a gap', () => {
    expect(listenerFaults({ name: 'l', expected: [1, 2], seen: [1, 2, 2] })).toEqual({
      gaps: 0,
      outOfOrder: 1,
      repeats: 1,
    })
  })
})

describe('renderTable', () => {
  it('aligns the columns and marks a failure', () => {
    const table = renderTable([
      { invariant: 'a', expected: '0', actual: '0', ok: true },
      { invariant: 'longer one', expected: '0', actual: '3', ok: false },
    ])
    expect(table.split('\n')).toEqual([
      '| invariant  | expected | actual | ok  |',
      '|------------|----------|--------|-----|',
      '| a          | 0        | 0      | yes |',
      '| longer one | 0        | 3      | NO  |',
    ])
  })
})
