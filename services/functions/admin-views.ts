import { StratusError } from '../core/errors.ts'
import type { FunctionVersion, ReplayRange } from './model.ts'

/**
 * What every environment value is shown as. A function's environment holds API keys by design, and
 * every admin role reads functions: the admin API shows the names and never the values (deploy a new
 * version to change one). Which values differ between two versions is answered without them.
 */
export const ENV_MASK = '••••'

/** `env` with every value masked. */
export function maskEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.keys(env).map((name) => [name, ENV_MASK]))
}

/** The names added, removed and changed from `before` to `after` (values compared, never shown). */
export function envChanges(
  before: Readonly<Record<string, string>>,
  after: Readonly<Record<string, string>>,
): { added: string[]; removed: string[]; changed: string[] } {
  const names = (env: Readonly<Record<string, string>>) => Object.keys(env).sort()
  return {
    added: names(after).filter((n) => !Object.hasOwn(before, n)),
    removed: names(before).filter((n) => !Object.hasOwn(after, n)),
    changed: names(after).filter((n) => Object.hasOwn(before, n) && before[n] !== after[n]),
  }
}

/** One version in full for the console's diff view: code, masked env, triggers and limits. */
export interface VersionDetail {
  name: string
  version: number
  live: boolean
  createdAt: string
  deployedBy?: string
  code: string
  codeSize: number
  env: Record<string, string>
  triggers: FunctionVersion['triggers']
  limits: { timeoutMs: number; memoryMb: number; concurrency: number; retries: number }
  /** Which export runs: `default`, or a Lambda-style `handler`. */
  entry: FunctionVersion['entry']
  /** With `compareTo`: how the environment differs from that version's. */
  envChanges?: { comparedTo: number; added: string[]; removed: string[]; changed: string[] }
}

/** `v` as GET …/versions/{version} shows it. */
export function versionDetail(v: FunctionVersion, live: boolean, compared?: FunctionVersion): VersionDetail {
  return {
    name: v.name,
    version: v.version,
    live,
    createdAt: v.createdAt,
    ...(v.deployedBy ? { deployedBy: v.deployedBy } : {}),
    code: v.code,
    codeSize: Buffer.byteLength(v.code, 'utf8'),
    env: maskEnv(v.env),
    triggers: v.triggers,
    limits: { timeoutMs: v.timeoutMs, memoryMb: v.memoryMb, concurrency: v.concurrency, retries: v.retries },
    entry: v.entry,
    ...(compared ? { envChanges: { comparedTo: compared.version, ...envChanges(compared.env, v.env) } } : {}),
  }
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/

/** Epoch ms of an ISO-8601 time with its zone (`2026-11-30T12:00:00Z`), or 400 `request/invalid`. */
export function parseIsoTime(name: string, value: string): number {
  const t = ISO_TIME.test(value) ? Date.parse(value) : Number.NaN
  if (Number.isNaN(t)) {
    throw new StratusError(
      'request/invalid',
      `${name} must be an ISO-8601 time with a zone (e.g. 2026-11-30T12:00:00Z)`,
      {
        details: { [name]: value },
      },
    )
  }
  return t
}

/** Checks `from` ≤ `to` (either may be absent); returns them as epoch ms. */
export function parseWindow(raw: { from?: string; to?: string }): { from?: number; to?: number } {
  const from = raw.from === undefined ? undefined : parseIsoTime('from', raw.from)
  const to = raw.to === undefined ? undefined : parseIsoTime('to', raw.to)
  if (from !== undefined && to !== undefined && from > to) {
    throw new StratusError('request/invalid', 'from must not be after to', { details: raw })
  }
  return { from, to }
}

/**
 * A replay's range as given: exactly one start (`fromSequence` or `fromTime`), at most one end
 * (`toSequence` or `toTime`), the end not before the start. Times are normalised to ISO UTC.
 */
export function checkReplayRange(raw: ReplayRange, what = 'A replay'): ReplayRange {
  const invalid = (message: string) => new StratusError('request/invalid', message, { details: raw })
  if ((raw.fromSequence === undefined) === (raw.fromTime === undefined))
    throw invalid(`${what} starts at fromSequence or at fromTime (one of them)`)
  if (raw.toSequence !== undefined && raw.toTime !== undefined)
    throw invalid(`${what} ends at toSequence or at toTime (at most one of them)`)
  const fromTime = raw.fromTime === undefined ? undefined : parseIsoTime('fromTime', raw.fromTime)
  const toTime = raw.toTime === undefined ? undefined : parseIsoTime('toTime', raw.toTime)
  if (raw.fromSequence !== undefined && raw.toSequence !== undefined && raw.toSequence < raw.fromSequence)
    throw invalid('toSequence must not be below fromSequence')
  if (fromTime !== undefined && toTime !== undefined && toTime < fromTime)
    throw invalid('toTime must not be before fromTime')
  return {
    ...(raw.fromSequence !== undefined ? { fromSequence: raw.fromSequence } : {}),
    ...(fromTime !== undefined ? { fromTime: new Date(fromTime).toISOString() } : {}),
    ...(raw.toSequence !== undefined ? { toSequence: raw.toSequence } : {}),
    ...(toTime !== undefined ? { toTime: new Date(toTime).toISOString() } : {}),
  }
}
