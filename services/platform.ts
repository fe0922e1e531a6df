import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { DevMailbox } from './auth/mail/dev-mailbox.ts'
import type { MailTransport } from './auth/mail/mail-transport.ts'
import { openMailTransport } from './auth/mail/open-mail.ts'
import { authAdminRoutes, authRoutes } from './auth/routes/index.ts'
import { AuthService } from './auth/service.ts'
import { SigningKeys } from './auth/signing-keys.ts'
import type { Bus } from './bus/bus.ts'
import { openBus } from './bus/open-bus.ts'
import type { Config, Role } from './core/config.ts'
import type { Logger } from './core/logger.ts'
import { createMetrics, type Metrics } from './core/metrics.ts'
import type { Database } from './db/database.ts'
import { migrate } from './db/migrate.ts'
import { openDatabase } from './db/open-database.ts'
import { outboxLagSeconds } from './db/outbox.ts'
import { OutboxRelay } from './db/relay.ts'
import { buildGateway } from './gateway/build.ts'
import { storageReachability } from './storage/reachability.ts'

/** One running Stratus process: its drivers, its loops, and (for the api role) its HTTP gateway. */
export interface Platform {
  config: Config
  role: Role
  logger: Logger
  metrics: Metrics
  db: Database
  bus: Bus
  keys: SigningKeys
  /** Accounts and sessions. */
  auth: AuthService
  /** Present when the role runs workers. */
  relay?: OutboxRelay
  /** Present when the role serves HTTP (not yet listening: call `listen`). */
  app?: FastifyInstance
  /** True when this start created the project's first signing key (the service key is new). */
  createdKeys: boolean
  /** Stops taking work, lets in-flight work finish, closes every driver. Idempotent. */
  close(): Promise<void>
}

/**
 * The composition root: opens the drivers the configuration names, migrates (under a lock, so N nodes
 * can boot at once), makes sure the project has a signing key, starts the loops of the `worker` role
 * and builds the gateway of the `api` role.
 */
export async function createPlatform(config: Config, role: Role, logger: Logger): Promise<Platform> {
  const metrics = createMetrics()
  const db = await openDatabase(config)
  let bus: Bus | undefined
  let mail: MailTransport | undefined
  let rateLimitRedis: Redis | undefined
  try {
    const applied = await migrate(db)
    if (applied.length) logger.info({ applied }, 'applied database migrations')
    bus = openBus(config, logger)
    const { keys, created } = await SigningKeys.open(db)
    mail = openMailTransport(config, db)
    const auth = await AuthService.create({
      db,
      keys,
      mail,
      logger: logger.child({ component: 'auth' }),
      accessTokenTtlSeconds: config.auth.accessTokenTtlSeconds,
      refreshTokenTtlSeconds: config.auth.refreshTokenTtlSeconds,
      emailVerification: config.auth.emailVerification,
      siteUrl: config.auth.siteUrl,
      userCacheMs: config.auth.userCacheMs,
    })

    let relay: OutboxRelay | undefined
    if (role !== 'api') {
      relay = new OutboxRelay(db, bus, {
        ...config.relay,
        logger: logger.child({ component: 'relay' }),
        metrics,
      })
      await relay.start()
    }

    const lagCollector = async () => {
      metrics.outboxLag.set(await outboxLagSeconds(db))
    }
    const liveBus = bus
    const queueCollector = async () => {
      for (const s of await liveBus.stats()) {
        for (const state of ['waiting', 'active', 'delayed', 'failed'] as const) {
          metrics.busQueue.set({ subscriber: s.name, state }, s[state])
        }
      }
    }

    if (role !== 'worker' && config.redis.url) {
      // Rate-limit counters shared by every API node. Commands time out rather than queue while Redis
      // is away, and the limiter then lets requests through (see the gateway's skipOnError).
      rateLimitRedis = new Redis(config.redis.url, {
        connectionName: 'stratus-rate-limit',
        maxRetriesPerRequest: 1,
        commandTimeout: 1000,
      })
      rateLimitRedis.on('error', (error) => logger.debug({ err: error }, 'rate-limit redis error'))
    }
    const authDeps = {
      service: auth,
      rateLimit: config.auth.rateLimit,
      mailbox: mail instanceof DevMailbox ? mail : undefined,
    }
    const app =
      role === 'worker'
        ? undefined
        : await buildGateway({
            config,
            logger,
            metrics,
            keys,
            checks: [
              { name: 'database', check: () => db.ping() },
              { name: 'bus', check: () => liveBus.ping() },
              { name: 'storage', check: storageReachability(config) },
            ],
            collectors: [lagCollector, queueCollector],
            services: [{ prefix: '/auth/v1', routes: authRoutes(authDeps) }],
            admin: [authAdminRoutes(authDeps)],
            rateLimit: { redis: rateLimitRedis, prefix: config.redis.prefix },
          })

    const liveMail = mail
    let closing: Promise<void> | undefined
    const close = () => {
      closing ??= (async () => {
        await app?.close()
        await auth.close()
        await liveMail.close()
        // quit() waits for a reply: only ask a connected client, else drop the socket.
        if (rateLimitRedis?.status === 'ready') await rateLimitRedis.quit().catch(() => {})
        else rateLimitRedis?.disconnect()
        await relay?.stop()
        await liveBus.close()
        await db.close()
      })()
      return closing
    }
    return { config, role, logger, metrics, db, bus, keys, auth, relay, app, createdKeys: created, close }
  } catch (error) {
    rateLimitRedis?.disconnect()
    await mail?.close().catch(() => {})
    await bus?.close().catch(() => {})
    await db.close().catch(() => {})
    throw error
  }
}
