/**
 * The functions the chaos workload deploys, and the collections and bucket they use. Every effect is
 * idempotent by construction (a document id derived from what caused it), so a delivery repeated after
 * a crash rewrites the same document, and a missing document can only mean a lost delivery.
 */
import type { StratusClient } from '@stratus/sdk'

export const NOTES = 'chaos_notes'
export const DERIVED = 'chaos_derived'
export const MESSAGES = 'chaos_messages'
export const UPLOADS = 'chaos_uploads'
export const TICKS = 'chaos_ticks'
export const QUEUE = 'chaos-jobs'
export const BUCKET = 'chaos-uploads'

export const FUNCTION_NAMES = {
  derive: 'chaos-derive',
  publish: 'chaos-publish',
  consume: 'chaos-consume',
  upload: 'chaos-upload',
  tick: 'chaos-tick',
} as const

/** A document id from any string: `[A-Za-z0-9_-]`, short, and stable for the same input. */
const ID_OF = `const idOf = (text) => {
  let h1 = 0x811c9dc5, h2 = 0x01000193
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0
  }
  return h1.toString(36) + h2.toString(36)
}`

interface FunctionSpec {
  name: string
  code: string
  triggers: Array<Record<string, unknown>>
}

const created = { type: 'event', event: 'db.document.created', subject: `collections/${NOTES}/documents/*` }

export const FUNCTIONS: FunctionSpec[] = [
  {
    name: FUNCTION_NAMES.derive,
    // One derived document per note, keyed by the note: a repeated delivery rewrites it.
    code: `export default async (event, ctx) => {
  const doc = event.data.document
  await ctx.db.collection('${DERIVED}').doc('d-' + doc.id).set({ source: doc.id, eventId: event.id, shard: doc.data.shard })
}`,
    triggers: [created],
  },
  {
    name: FUNCTION_NAMES.publish,
    // dedupId: a repeated delivery within QUEUE_DEDUP_SECONDS publishes nothing new.
    code: `export default async (event, ctx) => {
  const doc = event.data.document
  await ctx.queue.publish('${QUEUE}', { source: doc.id }, { dedupId: 'note-' + doc.id })
}`,
    triggers: [created],
  },
  {
    name: FUNCTION_NAMES.consume,
    code: `export default async (event, ctx) => {
  await ctx.db.collection('${MESSAGES}').doc('m-' + event.data.id).set({ messageId: event.data.id, source: event.data.payload.source })
}`,
    triggers: [{ type: 'queue', queue: QUEUE }],
  },
  {
    name: FUNCTION_NAMES.upload,
    code: `${ID_OF}
export default async (event, ctx) => {
  const key = event.data.object.key
  await ctx.db.collection('${UPLOADS}').doc('u-' + idOf(key)).set({ key, eventId: event.id })
}`,
    triggers: [{ type: 'event', event: 'storage.object.created', subject: `buckets/${BUCKET}/objects/**` }],
  },
  {
    name: FUNCTION_NAMES.tick,
    // Keyed by the tick's time AND its event: the same tick delivered twice is one document, the same
    // time fired twice (two events) is two, which the checker counts as doubled.
    code: `${ID_OF}
export default async (event, ctx) => {
  const at = Date.parse(event.data.scheduledAt)
  if (event.data.manual) return
  await ctx.db.collection('${TICKS}').doc('t-' + at + '-' + idOf(event.id)).set({ scheduledAt: at, eventId: event.id })
}`,
    triggers: [{ type: 'schedule', cron: '* * * * * *' }],
  },
]

/**
 * Sets up the project with the service key: collection rules that let signed-in users write notes
 * (read by anyone signed in), the bucket, then the functions (each deploy goes live at once).
 */
export async function deployWorkload(admin: StratusClient): Promise<void> {
  const signedIn = 'auth != null'
  await admin.http.request(`/admin/v1/collections/${NOTES}`, {
    method: 'PUT',
    body: { rules: { read: signedIn, create: signedIn, update: signedIn, delete: 'false' } },
  })
  await admin.http.request(`/admin/v1/buckets/${BUCKET}`, {
    method: 'PUT',
    body: { rules: { read: signedIn, write: signedIn, delete: 'false' } },
  })
  for (const fn of FUNCTIONS) {
    await admin.http.request(`/admin/v1/functions/${fn.name}`, {
      method: 'PUT',
      body: { code: fn.code, triggers: fn.triggers, retries: 5 },
    })
  }
}
