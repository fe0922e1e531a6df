import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { batchFailure, sqsEvent } from './sqs.ts'

describe('SQS events', () => {
  it('makes a batch of one record from a queue message', () => {
    const body = '{"order":7,"note":"é"}'
    expect(
      sqsEvent(
        {
          id: 'm-1',
          time: '2026-12-01T10:00:00.000Z',
          subject: 'queues/orders',
          data: { id: 'm-1', payload: { order: 7, note: 'é' } },
        },
        3,
        'exec-9',
      ),
    ).toEqual({
      Records: [
        {
          messageId: 'm-1',
          receiptHandle: 'exec-9',
          body,
          attributes: {
            ApproximateReceiveCount: '3',
            SentTimestamp: String(Date.parse('2026-12-01T10:00:00.000Z')),
          },
          messageAttributes: {},
          md5OfBody: createHash('md5').update(Buffer.from(body, 'utf8')).digest('hex'),
          eventSource: 'aws:sqs',
          eventSourceARN: 'arn:stratus:queue:local:000000000000:orders',
          awsRegion: 'local',
        },
      ],
    })
  })

  it.each([
    [undefined, undefined],
    [{}, undefined],
    [{ batchItemFailures: [] }, undefined],
    [{ batchItemFailures: null }, undefined],
    [{ batchItemFailures: [{ itemIdentifier: 'm-1' }] }, /reported message m-1 as failed/],
    [{ batchItemFailures: [{ itemIdentifier: '' }] }, /names no message .*whole batch/],
    [{ batchItemFailures: [{}] }, /names no message/],
    [{ batchItemFailures: [{ itemIdentifier: 'other' }] }, /names no message/],
    [{ batchItemFailures: 'm-1' }, /not an array/],
  ])('reads the answer %j', (answer, failure) => {
    const read = batchFailure(answer, 'm-1')
    if (failure === undefined) expect(read).toBeUndefined()
    else expect(read).toMatch(failure)
  })
})
