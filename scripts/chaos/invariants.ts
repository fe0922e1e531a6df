/**
 * The invariants a chaos run must end with, as one pure function over what was recorded: the
 * workload's own log, the listeners' frames and the cluster's PostgreSQL read after quiescence. Kept
 * free of I/O so a unit test can feed it a gap or a duplicate and see it fail.
 */

/** The fault kinds the injector knows (API.md: `faults: {kind: count}`). */
export const FAULT_KINDS = [
  'worker-kill',
  'api-kill',
  'relay-leader-kill',
  'redis-restart',
  'redis-lose',
  'postgres-restart',
  'worker-partition',
] as const
export type FaultKind = (typeof FAULT_KINDS)[number]

/** One injected fault: when, and when a write and its trigger first succeeded after it (null: never). */
export interface FaultRecord {
  kind: FaultKind
  at: number
  recoveredAt: number | null
}

/** A source document as PostgreSQL holds it, with the id of its `db.document.created` event. */
export interface SourceDocument {
  id: string
  createdEventId: string | null
}

/** A document a trigger wrote for some source (derived note, message record, upload record). */
export interface EffectRecord {
  /** The source it stands for: a note id, a message id, an object key. */
  source: string
}

/** Succeeded executions of one function for one event id (only counts above 1 need be passed). */
export interface SuccessCount {
  functionName: string
  eventId: string
  count: number
}

/** A schedule tick as the tick function recorded it. */
export interface TickRecord {
  scheduledAt: number
  eventId: string
}

/** What one realtime listener saw, against what the outbox says it should have seen. */
export interface ListenerRecord {
  name: string
  /** Sequences of the committed changes to its query, from the outbox, ascending. */
  expected: number[]
  /** Sequences of the change frames it received, in arrival order. */
  seen: number[]
  /** Reconnections that resumed with `since` (a killed api node drops its WebSockets). */
  resumes?: number
  /** Reconnections that had to start from scratch (the server could not replay from `since`). */
  freshResumes?: number
  /** Why the server ended its subscription, if it did (a listener must stay subscribed). */
  failed?: string | null
}

/** Counts read once the cluster is quiet. */
export interface QuiescenceRecord {
  /** Seconds from the end of the workload until outbox lag and queue depths reached 0 (null: never). */
  drainSeconds: number | null
  /** The bound drainSeconds must stay under. */
  boundSeconds: number
  /**
   * Seconds from the end of the workload until every effect was in place too (null: never). Longer
   * than the drain when a killed worker held a delivery: it runs elsewhere once its lock lapses.
   */
  settleSeconds: number | null
  settleBoundSeconds: number
  unpublishedOutbox: number
  queueDepth: number
  inFlight: number
  undispatchedMessages: number
}

/** An HTTP failure the workload met (after its own retries, or retried). */
export interface ErrorRecord {
  at: number
  /** HTTP status, or 0 for a connection error. */
  status: number
  what: string
}

export interface ChaosRecords {
  minutes: number
  faults: FaultRecord[]
  /** Seconds after a fault's recovery during which 5xx and connection errors are expected. */
  faultSlackSeconds: number
  notes: SourceDocument[]
  derived: EffectRecord[]
  /** Messages published to the workload queue: their ids. */
  messages: string[]
  messageRecords: EffectRecord[]
  /** Sources whose message was published (one per note expected). */
  messageSources: string[]
  uploads: string[]
  uploadRecords: EffectRecord[]
  ticks: TickRecord[]
  /** The span of time ticks are expected in (ms): the schedule's first and the last expected tick. */
  tickSpan: { from: number; to: number } | null
  duplicateSuccesses: SuccessCount[]
  /** Dead letters of the workload's functions: it injects no failures, so any is a failure. */
  deadLetters: number
  listeners: ListenerRecord[]
  quiescence: QuiescenceRecord
  errors: ErrorRecord[]
}

export interface InvariantRow {
  invariant: string
  expected: string
  actual: string
  ok: boolean
}

/** API.md's last line of `npm run chaos`. */
export interface ChaosSummary {
  minutes: number
  faults: Record<string, number>
  documents: number
  lost: number
  duplicated: number
  messagesLost: number
  listenerGaps: number
  stuckExecutions: number
  maxRecoverySeconds: number | null
}

export interface ChaosVerdict {
  rows: InvariantRow[]
  summary: ChaosSummary
  ok: boolean
}

/** Sources with no effect, and sources with more than one. */
export function matchEffects(
  sources: string[],
  effects: EffectRecord[],
): { missing: string[]; extra: string[] } {
  const counts = new Map<string, number>()
  for (const effect of effects) counts.set(effect.source, (counts.get(effect.source) ?? 0) + 1)
  const missing = sources.filter((source) => !counts.has(source))
  const extra = [...counts].filter(([, count]) => count > 1).map(([source]) => source)
  return { missing, extra }
}

/** A listener's gaps (expected changes never seen) and order faults (a sequence not above the last). */
export function listenerFaults(listener: ListenerRecord): {
  gaps: number
  outOfOrder: number
  repeats: number
} {
  const seen = new Set(listener.seen)
  const gaps = listener.expected.filter((sequence) => !seen.has(sequence)).length
  let outOfOrder = 0
  let last = Number.NEGATIVE_INFINITY
  for (const sequence of listener.seen) {
    if (sequence <= last) outOfOrder += 1
    else last = sequence
  }
  return { gaps, outOfOrder, repeats: listener.seen.length - seen.size }
}

/** Ticks fired twice (two events for one scheduled time) and seconds with no tick outside any fault. */
export function tickFaults(
  ticks: TickRecord[],
  span: { from: number; to: number } | null,
  outages: Array<{ from: number; to: number }>,
): { doubled: number; lost: number } {
  const byTime = new Map<number, Set<string>>()
  for (const tick of ticks) {
    const ids = byTime.get(tick.scheduledAt) ?? new Set<string>()
    ids.add(tick.eventId)
    byTime.set(tick.scheduledAt, ids)
  }
  const doubled = [...byTime.values()].filter((ids) => ids.size > 1).length
  let lost = 0
  if (span) {
    for (let at = Math.ceil(span.from / 1000) * 1000; at <= span.to; at += 1000) {
      if (byTime.has(at)) continue
      if (outages.some((outage) => at >= outage.from && at <= outage.to)) continue
      lost += 1
    }
  }
  return { doubled, lost }
}

/** The windows in which a fault may cost ticks and errors: from the fault to its recovery plus slack. */
export function faultWindows(
  faults: FaultRecord[],
  slackSeconds: number,
  end: number,
): Array<{ from: number; to: number }> {
  return faults.map((fault) => ({ from: fault.at, to: (fault.recoveredAt ?? end) + slackSeconds * 1000 }))
}

function row(invariant: string, expected: string, actual: string | number, ok: boolean): InvariantRow {
  return { invariant, expected, actual: String(actual), ok }
}

/** Checks every invariant; `ok` only when all hold. */
export function checkInvariants(records: ChaosRecords, now = Date.now()): ChaosVerdict {
  const noteIds = records.notes.map((note) => note.id)
  const derived = matchEffects(noteIds, records.derived)
  const published = matchEffects(
    noteIds,
    records.messageSources.map((source) => ({ source })),
  )
  const consumed = matchEffects(records.messages, records.messageRecords)
  const uploads = matchEffects(records.uploads, records.uploadRecords)
  const outages = faultWindows(records.faults, records.faultSlackSeconds, now)
  const ticks = tickFaults(records.ticks, records.tickSpan, outages)
  const listeners = records.listeners.map(listenerFaults)
  const listenerGaps = listeners.reduce((sum, faults) => sum + faults.gaps + faults.outOfOrder, 0)
  const listenerRepeats = listeners.reduce((sum, faults) => sum + faults.repeats, 0)
  const listenerChanges = records.listeners.reduce((sum, listener) => sum + listener.expected.length, 0)
  const listenerResumes = records.listeners.reduce((sum, listener) => sum + (listener.resumes ?? 0), 0)
  const listenersFailed = records.listeners.filter((listener) => listener.failed).length
  const listenerFresh = records.listeners.reduce((sum, listener) => sum + (listener.freshResumes ?? 0), 0)
  const noEvent = records.notes.filter((note) => note.createdEventId === null).length
  const duplicated = records.duplicateSuccesses.filter((entry) => entry.count > 1)
  const quiet = records.quiescence
  const stuck = quiet.unpublishedOutbox + quiet.queueDepth + quiet.inFlight + quiet.undispatchedMessages
  const unrecovered = records.faults.filter((fault) => fault.recoveredAt === null).length
  const recoveries = records.faults
    .filter((fault) => fault.recoveredAt !== null)
    .map((fault) => ((fault.recoveredAt as number) - fault.at) / 1000)
  const maxRecoverySeconds = recoveries.length > 0 ? round(Math.max(...recoveries)) : null
  const stray = records.errors.filter(
    (error) =>
      (error.status !== 0 && error.status < 500) ||
      !outages.some((outage) => error.at >= outage.from && error.at <= outage.to),
  )

  const rows: InvariantRow[] = [
    row('every committed document has its created event', '0 without', noEvent, noEvent === 0),
    row(
      'every document has exactly one derived document',
      '0 lost, 0 extra',
      `${derived.missing.length} lost, ${derived.extra.length} extra of ${noteIds.length}`,
      derived.missing.length === 0 && derived.extra.length === 0,
    ),
    row(
      'every document published its queue message',
      '0 missing',
      published.missing.length,
      published.missing.length === 0,
    ),
    row(
      'every queue message processed to success',
      '0 lost, 0 extra',
      `${consumed.missing.length} lost, ${consumed.extra.length} extra of ${records.messages.length}`,
      consumed.missing.length === 0 && consumed.extra.length === 0,
    ),
    row('one success per (function, event)', '0 events', duplicated.length, duplicated.length === 0),
    row('no dead letters', '0', records.deadLetters, records.deadLetters === 0),
    row(
      'every upload ran its trigger',
      '0 missing',
      `${uploads.missing.length} of ${records.uploads.length}`,
      uploads.missing.length === 0,
    ),
    row('schedule ticks not doubled', '0 doubled', ticks.doubled, ticks.doubled === 0),
    row(
      'schedule ticks lost outside outages',
      '0 lost',
      `${ticks.lost} of ${tickCount(records.tickSpan)}`,
      ticks.lost === 0,
    ),
    row(
      'listeners saw every change, in order',
      '0 gaps',
      `${listenerGaps} gaps in ${listenerChanges} changes (${listenerRepeats} repeats, ${listenerResumes} resumes, ${listenerFresh} fresh, ${listenersFailed} ended)`,
      listenerGaps === 0 && listenersFailed === 0,
    ),
    row('nothing left in flight after quiescence', '0', stuck, stuck === 0),
    row(
      'outbox lag and queue depths back to 0',
      `within ${quiet.boundSeconds} s`,
      quiet.drainSeconds === null ? 'never' : `${round(quiet.drainSeconds)} s`,
      quiet.drainSeconds !== null && quiet.drainSeconds <= quiet.boundSeconds,
    ),
    row(
      'every effect in place after the workload',
      `within ${quiet.settleBoundSeconds} s`,
      quiet.settleSeconds === null ? 'never' : `${round(quiet.settleSeconds)} s`,
      quiet.settleSeconds !== null && quiet.settleSeconds <= quiet.settleBoundSeconds,
    ),
    row('every fault recovered', '0 unrecovered', unrecovered, unrecovered === 0),
    row(
      'errors only 5xx/connection, in fault windows',
      '0 stray',
      `${stray.length} of ${records.errors.length}`,
      stray.length === 0,
    ),
  ]
  for (const kind of FAULT_KINDS) {
    const times = records.faults
      .filter((fault) => fault.kind === kind && fault.recoveredAt !== null)
      .map((fault) => ((fault.recoveredAt as number) - fault.at) / 1000)
    if (times.length === 0) continue
    rows.push(
      row(
        `recovery after ${kind}`,
        'measured',
        `max ${round(Math.max(...times))} s over ${times.length}`,
        true,
      ),
    )
  }

  const faults: Record<string, number> = {}
  for (const fault of records.faults) faults[fault.kind] = (faults[fault.kind] ?? 0) + 1
  const summary: ChaosSummary = {
    minutes: records.minutes,
    faults,
    documents: records.notes.length,
    lost: derived.missing.length + uploads.missing.length,
    duplicated: derived.extra.length + consumed.extra.length + duplicated.length + ticks.doubled,
    messagesLost: consumed.missing.length + published.missing.length,
    listenerGaps,
    stuckExecutions: stuck,
    maxRecoverySeconds,
  }
  return { rows, summary, ok: rows.every((entry) => entry.ok) }
}

function tickCount(span: { from: number; to: number } | null): number {
  return span ? Math.max(0, Math.floor(span.to / 1000) - Math.ceil(span.from / 1000) + 1) : 0
}

function round(value: number): number {
  return Math.round(value * 10) / 10
}

/** The table, one line per invariant, for a terminal. */
export function renderTable(rows: InvariantRow[]): string {
  const headers = ['invariant', 'expected', 'actual', 'ok']
  const cells = rows.map((entry) => [entry.invariant, entry.expected, entry.actual, entry.ok ? 'yes' : 'NO'])
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...cells.map((line) => (line[column] ?? '').length)),
  )
  const format = (line: string[]) =>
    `| ${line.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`
  return [
    format(headers),
    `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`,
    ...cells.map(format),
  ].join('\n')
}
