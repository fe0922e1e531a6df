import type { Config } from '../core/config.ts'
import type { Logger } from '../core/logger.ts'
import type { Bus } from './bus.ts'
import { LocalBus } from './local/local-bus.ts'
import { RedisBus } from './redis/redis-bus.ts'

/** Opens the bus the configuration names: Redis when REDIS_URL is set, else in-process. */
export function openBus(config: Pick<Config, 'redis' | 'functions'>, logger: Logger): Bus {
  if (config.redis.url) {
    return new RedisBus({
      url: config.redis.url,
      prefix: config.redis.prefix,
      logger,
      // Event triggers' first attempts run inside the dispatcher's deliveries: a delivery whose process
      // died is handed on as soon as a function job's would be.
      lockDurationMs: config.functions.jobLockMs,
      stalledIntervalMs: config.functions.jobLockMs,
    })
  }
  return new LocalBus({ logger })
}
