import type { HttpClient } from './http.js'

export interface PublishOptions {
  /** Hand the message to consumers no sooner than this. */
  delayMs?: number
  /** A second message with the same id (while the first is known) is not enqueued again. */
  dedupId?: string
}

/** `app.queue`: messages for functions with a queue trigger. */
export class QueueClient {
  readonly #http: HttpClient

  constructor(http: HttpClient) {
    this.#http = http
  }

  /** Publishes a message; needs the service key or the queue's publish rule. Resolves with its id. */
  publish(queue: string, payload: unknown, options: PublishOptions = {}): Promise<{ id: string }> {
    return this.#http.post<{ id: string }>(`/queue/v1/${encodeURIComponent(queue)}/messages`, {
      payload: payload === undefined ? null : payload,
      ...(options.delayMs !== undefined ? { delayMs: options.delayMs } : {}),
      ...(options.dedupId !== undefined ? { dedupId: options.dedupId } : {}),
    })
  }
}
