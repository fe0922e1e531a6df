import { EVENT_CATALOG, type EventType } from '../core/event-catalog.ts'

/** One event type as `GET /admin/v1/event-types` describes it (the console's triggers form). */
export interface EventTypeView {
  type: EventType
  /** The subject shape: `{name}` is one segment, `{name...}` one or more. */
  subject: string
  description: string
  /** Whether an event trigger can fire on it (it is published on the bus). */
  triggerable: boolean
  /** A subject and `data` of this type, as a function receives them. */
  example: { subject: string; data: unknown }
}

const user = {
  id: 'Jc7AYRnG8mW0QbAXJ2hT',
  email: 'ada@example.com',
  anonymous: false,
  data: {},
  identities: [],
  factors: [],
  createdAt: '2026-11-30T12:00:00.000Z',
  updatedAt: '2026-11-30T12:00:00.000Z',
}
const doc = (version: number, data: Record<string, unknown>) => ({
  id: 'p1',
  collection: 'posts',
  data,
  version,
  createdAt: '2026-11-30T12:00:00.000Z',
  updatedAt: '2026-11-30T12:05:00.000Z',
})
const object = {
  bucket: 'avatars',
  key: 'users/Jc7AYRnG8mW0QbAXJ2hT/photo.png',
  size: 48213,
  contentType: 'image/png',
  etag: '"9b2cf535f27731c974343645a3985328"',
  metadata: {},
  createdAt: '2026-11-30T12:00:00.000Z',
  updatedAt: '2026-11-30T12:00:00.000Z',
}
const objectSubject = 'buckets/avatars/objects/users/Jc7AYRnG8mW0QbAXJ2hT/photo.png'

// Typed by the catalog: a type added there without a description here fails the type check.
const DESCRIPTIONS: {
  readonly [T in EventType]: { description: string; example: { subject: string; data: unknown } }
} = {
  'auth.user.created': {
    description: 'A user signed up (email and password, anonymously, or through an OAuth provider).',
    example: { subject: `users/${user.id}`, data: { user } },
  },
  'auth.user.updated': {
    description: "A user's email, password, data, identities or factors changed.",
    example: { subject: `users/${user.id}`, data: { user } },
  },
  'auth.user.deleted': {
    description: 'A user was deleted (by an admin).',
    example: { subject: `users/${user.id}`, data: { user } },
  },
  'db.document.created': {
    description: 'A document was created.',
    example: { subject: 'collections/posts/documents/p1', data: { document: doc(1, { title: 'Hello' }) } },
  },
  'db.document.updated': {
    description: 'A document was replaced or merged; `previous` is the version before.',
    example: {
      subject: 'collections/posts/documents/p1',
      data: { document: doc(2, { title: 'Hello, world' }), previous: doc(1, { title: 'Hello' }) },
    },
  },
  'db.document.deleted': {
    description: 'A document was deleted; `previous` is its last version.',
    example: { subject: 'collections/posts/documents/p1', data: { previous: doc(2, { title: 'Hello' }) } },
  },
  'storage.object.created': {
    description: 'An object was stored (a new key, or new bytes at an existing key). Metadata only.',
    example: { subject: objectSubject, data: { object } },
  },
  'storage.object.deleted': {
    description: 'An object was deleted. Metadata only.',
    example: { subject: objectSubject, data: { object } },
  },
  'queue.message.published': {
    description:
      'A message was published to a queue (a queue trigger consumes it; an event trigger only observes it).',
    example: {
      subject: 'queues/emails',
      data: { id: '019ad6f0-7c1e-7a42-9b1e-4c2d3e4f5a6b', payload: { to: 'ada@example.com' } },
    },
  },
  'schedule.tick': {
    description: 'A tick of a schedule trigger, handed to that function only (never published).',
    example: {
      subject: 'functions/nightly',
      data: { cron: '0 3 * * *', timezone: 'UTC', scheduledAt: '2026-11-30T03:00:00.000Z' },
    },
  },
  'http.request': {
    description: 'A call to a function with an HTTP trigger, handed to that function only (never published).',
    example: {
      subject: 'functions/hello',
      data: { method: 'POST', path: '/', headers: {}, query: {}, body: { name: 'Ada' }, auth: null },
    },
  },
  'functions.function.changed': {
    description: 'Internal: a function was deployed, rolled back or deleted.',
    example: { subject: 'functions/hello', data: { name: 'hello', liveVersion: 2 } },
  },
}

/** The public event catalog: every type but the platform's internal ones, in catalog order. */
export function eventTypeCatalog(): EventTypeView[] {
  return (Object.keys(EVENT_CATALOG) as EventType[])
    .filter((type) => !EVENT_CATALOG[type].internal)
    .map((type) => ({
      type,
      subject: EVENT_CATALOG[type].subject,
      description: DESCRIPTIONS[type].description,
      triggerable: EVENT_CATALOG[type].delivery === 'bus',
      example: DESCRIPTIONS[type].example,
    }))
}
