// @20minutes/s3rver ships no types: the little of it the S3 test server uses.
declare module '@20minutes/s3rver' {
  import type { IncomingMessage, ServerResponse } from 'node:http'
  import type { Readable } from 'node:stream'

  interface S3rverOptions {
    address?: string
    port?: number
    silent?: boolean
    directory?: string
    resetOnClose?: boolean
    allowMismatchedSignatures?: boolean
    vhostBuckets?: boolean
    configureBuckets?: { name: string }[]
  }

  export default class S3rver {
    constructor(options?: S3rverOptions)
    configureBuckets(): Promise<void>
    callback(): (request: IncomingMessage, response: ServerResponse) => void
    store: {
      getResourcePath(bucket: string, key: string | undefined, resource: string): string
      getObject(
        bucket: string,
        key: string,
        options?: { start?: number; end?: number },
      ): Promise<{ content: Readable | null; range?: { start: number; end: number } } | null>
    }
    logger: { close(): void; exceptions: { unhandle(): void } }
  }
}
