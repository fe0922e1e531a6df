import { createHash } from 'node:crypto'
import { QUEUE_SUBJECT_PREFIX } from '../../services/core/events.ts'
import { PORTABLE_REGION, queueArn } from './identity.ts'

// A portable handler's queue trigger speaks Lambda's SQS event source: a batch of records in, and
// optionally `{batchItemFailures}` out (what Lambda calls ReportBatchItemFailures, always on here).
// Stratus delivers a queue's messages to a consumer one at a time, so a batch holds one record.

/** One SQS record, as Lambda's SQS event source hands it over. */
export interface SqsRecord {
  /** The Stratus message id (also the `queue.message.published` event's id). */
  messageId: string
  /** Opaque, and different on every delivery: the execution id. */
  receiptHandle: string
  /** The message's payload as JSON text. */
  body: string
  attributes: {
    /** How many times the message has been handed over, this delivery included (the attempt). */
    ApproximateReceiveCount: string
    /** When it was published, epoch ms. */
    SentTimestamp: string
  }
  messageAttributes: Record<string, never>
  /** The MD5 of `body`'s UTF-8 bytes, in hex. */
  md5OfBody: string
  eventSource: 'aws:sqs'
  eventSourceARN: string
  awsRegion: string
}

/** A `queue.message.published` CloudEvent's parts that a record is made of. */
interface QueueEventParts {
  id: string
  time: string
  subject: string
  data: unknown
}

/** The SQS batch (of one record) of a queue message's event, delivered as attempt `attempt`. */
export function sqsEvent(
  event: QueueEventParts,
  attempt: number,
  executionId: string,
): { Records: [SqsRecord] } {
  const data = (event.data ?? {}) as { id?: unknown; payload?: unknown }
  const body = JSON.stringify(data.payload === undefined ? null : data.payload)
  const queue = event.subject.startsWith(QUEUE_SUBJECT_PREFIX)
    ? event.subject.slice(QUEUE_SUBJECT_PREFIX.length)
    : event.subject
  return {
    Records: [
      {
        messageId: typeof data.id === 'string' ? data.id : event.id,
        receiptHandle: executionId,
        body,
        attributes: {
          ApproximateReceiveCount: String(attempt),
          SentTimestamp: String(Date.parse(event.time)),
        },
        messageAttributes: {},
        md5OfBody: createHash('md5').update(body, 'utf8').digest('hex'),
        eventSource: 'aws:sqs',
        eventSourceARN: queueArn(queue),
        awsRegion: PORTABLE_REGION,
      },
    ],
  }
}

/**
 * Why a portable handler's answer to a batch fails its one message, or undefined when it succeeds. As
 * with Lambda: no answer, `{}`, or an empty or null `batchItemFailures` is a success; any item in it
 * fails the message (one naming it, and also one with an empty, missing or unknown `itemIdentifier`,
 * which Lambda counts as the whole batch failing); a `batchItemFailures` that is not an array fails it.
 */
export function batchFailure(result: unknown, messageId: string): string | undefined {
  if (!result || typeof result !== 'object' || Array.isArray(result)) return undefined
  const failures = (result as { batchItemFailures?: unknown }).batchItemFailures
  if (failures === undefined || failures === null) return undefined
  if (!Array.isArray(failures)) return 'The handler answered a batchItemFailures that is not an array'
  if (failures.length === 0) return undefined
  const ids = failures.map((f) =>
    f && typeof f === 'object' ? (f as { itemIdentifier?: unknown }).itemIdentifier : f,
  )
  return ids.includes(messageId)
    ? `The handler reported message ${messageId} as failed (batchItemFailures)`
    : `The handler reported a failure (batchItemFailures) that names no message of the batch (${JSON.stringify(ids[0]) ?? 'undefined'}), so the whole batch failed`
}
