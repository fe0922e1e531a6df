import { api } from './http.ts'

/** A queue as `GET /admin/v1/queues` lists it (age and rates where the server reports them). */
export interface QueueView {
  name: string
  depth: number
  waiting?: number
  delayed?: number
  inFlight: number
  dead: number
  consumers?: string[]
  oldestAgeSeconds?: number | null
  publishedPerMinute?: number | null
  processedPerMinute?: number | null
}

export interface DeadLetter {
  id: string
  function: string
  version: number
  trigger: string
  eventId: string
  event: unknown
  attempts: number
  error: unknown
  queue?: string | null
  failedAt: string
}

export async function listQueues(signal?: AbortSignal): Promise<QueueView[]> {
  const { queues } = await api<{ queues: QueueView[] }>('GET', '/admin/v1/queues', signal ? { signal } : {})
  return queues
}

/** Publishes a message as the signed-in admin (through the app API: queue rules do not apply). */
export function publishMessage(
  queue: string,
  input: { payload: unknown; delayMs?: number; dedupId?: string },
): Promise<{ id: string }> {
  return api('POST', `/admin/v1/app/queue/v1/${encodeURIComponent(queue)}/messages`, { body: input })
}

export function listDeadLetters(
  query: { function?: string; limit?: number; cursor?: string },
  signal?: AbortSignal,
): Promise<{ deadLetters: DeadLetter[]; nextCursor: string | null }> {
  return api('GET', '/admin/v1/dead-letters', { query, ...(signal ? { signal } : {}) })
}

export function retryDeadLetter(id: string): Promise<{ id: string; function: string; version: number }> {
  return api('POST', `/admin/v1/dead-letters/${encodeURIComponent(id)}/retry`)
}

/** Redrives a selection, every dead letter of a function, or all of them. */
export function retryDeadLetters(input: { ids?: string[]; function?: string; all?: boolean }): Promise<{
  retried: number
}> {
  return api('POST', '/admin/v1/dead-letters/retry', { body: input })
}

export function deleteDeadLetter(id: string): Promise<void> {
  return api('DELETE', `/admin/v1/dead-letters/${encodeURIComponent(id)}`)
}

/** Purges the dead letters of one function, or all of them. */
export function purgeDeadLetters(fn?: string): Promise<{ deleted: number }> {
  return api('DELETE', '/admin/v1/dead-letters', { query: { function: fn } })
}
