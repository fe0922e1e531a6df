import type { Config } from '../core/config.ts'
import type { Logger } from '../core/logger.ts'
import type { JobQueue } from './jobs.ts'
import { LocalJobQueue } from './local/local-jobs.ts'
import { RedisJobQueue } from './redis/redis-jobs.ts'

/** Opens the job queue the configuration names: BullMQ when REDIS_URL is set, else in-process. */
export function openJobQueue(config: Pick<Config, 'redis' | 'functions'>, logger: Logger): JobQueue {
  if (config.redis.url) {
    return new RedisJobQueue({
      url: config.redis.url,
      prefix: config.redis.prefix,
      logger,
      lockDurationMs: config.functions.jobLockMs,
    })
  }
  return new LocalJobQueue({ logger })
}
