import { globMatch } from './glob.ts'
import { shapeCanMatch, suggestPatternForShape } from './subject-shape.ts'

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

/**
 * Whether a trigger's subject glob can match any subject of `type`'s shape (see `shapeCanMatch`).
 * False means a trigger with it can never fire on that type.
 */
export function canMatch(type: EventType, subjectPattern: string): boolean {
  return shapeCanMatch(subjectShape(type), subjectPattern)
}

/** A subject pattern for `type` that can match, as close to `pattern` as the shape allows. */
export function suggestPattern(type: EventType, pattern: string): string {
  return suggestPatternForShape(subjectShape(type), pattern)
}
