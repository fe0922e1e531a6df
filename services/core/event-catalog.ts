import { type GlobToken, globMatch, globTokens, tokensIntersect } from './glob.ts'

/**
 * The event catalog: every event type the platform emits, its subject shape and the type of its `data`.
 * `makeEvent` is typed by it, emitters name types through `EventTypes`, and the deploy check of triggers
 * asks it whether a trigger can ever fire (`canMatch`, `suggestPattern`).
 *
 * The data types describe the JSON an event carries (API.md, "Events"). They are declared here because
 * core imports nothing of ours; the services' own types (`User`, `Document`, `ObjectMetadata`) must stay
 * assignable to them, which `makeEvent` checks at every emitter.
 */

/** A user as its `auth.user.*` events carry it (never a password or token hash). */
export interface UserEventData {
  user: {
    id: string
    email: string | null
    anonymous: boolean
    data: Record<string, unknown>
    identities: {
      id: string
      provider: string
      email: string | null
      createdAt: string
      lastSignInAt: string | null
    }[]
    factors: { id: string; type: string; status: string; createdAt: string }[]
    createdAt: string
    updatedAt: string
  }
}

/** A document as `db.document.*` events carry it. */
export interface EventDocument {
  id: string
  collection: string
  data: Record<string, unknown>
  version: number
  createdAt: string
  updatedAt: string
}

/** An object's metadata as `storage.object.*` events carry it (never the bytes). */
export interface EventObject {
  bucket: string
  key: string
  size: number
  contentType: string
  etag: string
  metadata: Record<string, string>
  createdAt: string
  updatedAt: string
}

/** The `data` of each event type. */
export interface EventDataMap {
  'auth.user.created': UserEventData
  'auth.user.updated': UserEventData
  'auth.user.deleted': UserEventData
  'db.document.created': { document: EventDocument }
  'db.document.updated': { document: EventDocument; previous: EventDocument }
  'db.document.deleted': { previous: EventDocument }
  'storage.object.created': { object: EventObject }
  'storage.object.deleted': { object: EventObject }
  /** `availableAt` only for a delayed message. */
  'queue.message.published': { id: string; payload: unknown; availableAt?: string }
  /** `manual` only for a tick run by hand (`POST /admin/v1/schedules/{function}/run`). */
  'schedule.tick': { cron: string; timezone: string; scheduledAt: string; manual?: true }
  'http.request': {
    method: string
    path: string
    headers: Record<string, unknown>
    query: Record<string, unknown>
    body: unknown
    auth: unknown
  }
  /** `liveVersion` null once the function is deleted. */
  'functions.function.changed': { name: string; liveVersion: number | null }
}

/** Every event type the platform emits. */
export type EventType = keyof EventDataMap

/** The `data` of events of type `T`. */
export type EventData<T extends EventType> = EventDataMap[T]

/** The event types by name: emitters and consumers use these rather than spelling the strings out. */
export const EventTypes = {
  userCreated: 'auth.user.created',
  userUpdated: 'auth.user.updated',
  userDeleted: 'auth.user.deleted',
  documentCreated: 'db.document.created',
  documentUpdated: 'db.document.updated',
  documentDeleted: 'db.document.deleted',
  objectCreated: 'storage.object.created',
  objectDeleted: 'storage.object.deleted',
  queueMessagePublished: 'queue.message.published',
  scheduleTick: 'schedule.tick',
  httpRequest: 'http.request',
  functionChanged: 'functions.function.changed',
} as const satisfies Record<string, EventType>

/** What the catalog knows of one event type besides its data. */
export interface EventSpec {
  /**
   * The shape of its subjects: `/`-separated segments, each literal or a placeholder. `{name}` stands
   * for one non-empty segment, `{name...}` for one or more (a storage key may contain `/`).
   */
  readonly subject: string
  /**
   * `bus`: committed to the outbox and published, so event triggers, realtime and replays see it.
   * `direct`: built for one function's execution (an HTTP call, a schedule tick) and never published.
   */
  readonly delivery: 'bus' | 'direct'
  /** For the platform's own bookkeeping, not part of the public contract (API.md). */
  readonly internal: boolean
}

/** Every event type with its spec. */
export const EVENT_CATALOG: { readonly [T in EventType]: EventSpec } = {
  'auth.user.created': { subject: 'users/{uid}', delivery: 'bus', internal: false },
  'auth.user.updated': { subject: 'users/{uid}', delivery: 'bus', internal: false },
  'auth.user.deleted': { subject: 'users/{uid}', delivery: 'bus', internal: false },
  'db.document.created': {
    subject: 'collections/{collection}/documents/{id}',
    delivery: 'bus',
    internal: false,
  },
  'db.document.updated': {
    subject: 'collections/{collection}/documents/{id}',
    delivery: 'bus',
    internal: false,
  },
  'db.document.deleted': {
    subject: 'collections/{collection}/documents/{id}',
    delivery: 'bus',
    internal: false,
  },
  'storage.object.created': {
    subject: 'buckets/{bucket}/objects/{key...}',
    delivery: 'bus',
    internal: false,
  },
  'storage.object.deleted': {
    subject: 'buckets/{bucket}/objects/{key...}',
    delivery: 'bus',
    internal: false,
  },
  'queue.message.published': { subject: 'queues/{queue}', delivery: 'bus', internal: false },
  'schedule.tick': { subject: 'functions/{name}', delivery: 'direct', internal: false },
  'http.request': { subject: 'functions/{name}', delivery: 'direct', internal: false },
  'functions.function.changed': { subject: 'functions/{name}', delivery: 'bus', internal: true },
}

const EVENT_TYPE_LIST = Object.keys(EVENT_CATALOG) as EventType[]

/** True when `type` is in the catalog. */
export function isEventType(type: string): type is EventType {
  return Object.hasOwn(EVENT_CATALOG, type)
}

/** The subject shape of `type` (see `EventSpec.subject`). */
export function subjectShape(type: EventType): string {
  return EVENT_CATALOG[type].subject
}

/** The catalog's types that `glob` (a trigger's `event`, `.`-separated) matches, in catalog order. */
export function eventTypesMatching(glob: string): EventType[] {
  return EVENT_TYPE_LIST.filter((type) => globMatch(glob, type, '.'))
}

/** One segment of a subject shape. */
type ShapeSegment = { literal: string } | { placeholder: string; multi: boolean }

function shapeSegments(shape: string): ShapeSegment[] {
  return shape.split('/').map((segment) => {
    const placeholder = /^\{([A-Za-z]+)(\.\.\.)?\}$/.exec(segment)
    return placeholder
      ? { placeholder: placeholder[1]!, multi: placeholder[2] !== undefined }
      : { literal: segment }
  })
}

/** The shape as glob tokens: a placeholder is one or more characters (of one segment unless multi). */
function shapeTokens(shape: string): GlobToken[] {
  const tokens: GlobToken[] = []
  shapeSegments(shape).forEach((segment, i) => {
    if (i > 0) tokens.push({ kind: 'char', char: '/' })
    if ('literal' in segment) {
      for (const char of segment.literal) tokens.push({ kind: 'char', char })
    } else {
      const chars = segment.multi ? 'any' : 'segment'
      tokens.push({ kind: 'one', chars }, { kind: 'many', chars })
    }
  })
  return tokens
}

/**
 * Whether a trigger's subject glob (`*` within a segment, `**` across, `?` one character) can match any
 * subject of `type`'s shape. False means a trigger with it can never fire on that type. Placeholders
 * stand for any text (`{name...}` even one with empty segments), so when in doubt the answer is yes: a
 * deploy refused on a false no would be worse than a trigger that never fires.
 */
export function canMatch(type: EventType, subjectPattern: string): boolean {
  return tokensIntersect(globTokens(subjectPattern), shapeTokens(subjectShape(type)))
}

/**
 * A subject pattern for `type` that can match, as close to `pattern` as the shape allows: `pattern`
 * itself when it already can; else the shape with the pattern's segments placed into its placeholders
 * in order and its missing literal segments put back (`collections/posts/*` for `db.document.created`
 * becomes `collections/posts/documents/*`), a bare `*` given to a multi-segment placeholder becoming
 * `**`. When that leaves segments over and the pattern has as many segments as the shape, they are
 * taken position by position instead (`user/*` → `users/*`). Failing all that, the shape with a
 * wildcard for every placeholder.
 */
export function suggestPattern(type: EventType, pattern: string): string {
  if (canMatch(type, pattern)) return pattern
  const shape = shapeSegments(subjectShape(type))
  const given = pattern.split('/').filter((segment) => segment !== '')
  const fitted = fitInOrder(shape, given)
  const candidates = [
    fitted.leftOver && given.length === shape.length ? fitByPosition(shape, given) : undefined,
    fitted.suggestion,
    shape.map((segment) => ('literal' in segment ? segment.literal : wildcard(segment.multi))).join('/'),
  ]
  return candidates.find((candidate) => candidate !== undefined && canMatch(type, candidate))!
}

function wildcard(multi: boolean): string {
  return multi ? '**' : '*'
}

/** Walks the shape, taking the pattern's segments into placeholders and putting back missing literals. */
function fitInOrder(shape: ShapeSegment[], given: string[]): { suggestion: string; leftOver: boolean } {
  const out: string[] = []
  let next = 0
  shape.forEach((segment, i) => {
    if ('literal' in segment) {
      if (given[next] === segment.literal) next++
      out.push(segment.literal)
    } else if (segment.multi) {
      const rest = given.slice(next).join('/')
      next = given.length
      out.push(rest === '' || rest === '*' ? '**' : rest)
    } else {
      // The pattern skipped this placeholder if its next segment is the shape's next literal.
      const following = shape[i + 1]
      const skipped = following && 'literal' in following && given[next] === following.literal
      out.push(skipped || next >= given.length ? '*' : given[next++]!)
    }
  })
  return { suggestion: out.join('/'), leftOver: next < given.length }
}

/** The shape's literals where it has them, the pattern's segments (same count) at its placeholders. */
function fitByPosition(shape: ShapeSegment[], given: string[]): string {
  return shape.map((segment, i) => ('literal' in segment ? segment.literal : given[i]!)).join('/')
}
