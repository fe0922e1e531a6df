import { Redis } from 'ioredis'
import type { BusLogger } from '../bus.ts'

/**
 * Opens a named ioredis connection for the Redis drivers. ioredis reconnects forever and emits an
 * error per attempt, so only the first error of each outage is reported (none once `isClosing`).
 * BullMQ workers need `maxRetriesPerRequest: null`.
 */
export function connectRedis(
  url: string,
  connectionName: string,
  options: { logger: BusLogger; what: string; isClosing: () => boolean; maxRetriesPerRequest?: null },
): Redis {
  const connection = new Redis(url, {
    connectionName,
    ...(options.maxRetriesPerRequest === null ? { maxRetriesPerRequest: null } : {}),
  })
  let reported = false
  connection.on('ready', () => {
    reported = false
  })
  connection.on('error', (error: Error) => {
    if (reported || options.isClosing()) return
    reported = true
    options.logger.error(
      { connection: connectionName, err: error },
      `${options.what}: Redis connection error`,
    )
  })
  return connection
}
