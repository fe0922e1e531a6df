import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { functionsAdminPort } from '../functions-runtime/admin-port.ts'
import { FunctionsRuntime } from '../functions-runtime/runtime.ts'
import { DevMailbox } from './auth/mail/dev-mailbox.ts'
import type { MailTransport } from './auth/mail/mail-transport.ts'
import { openMailTransport } from './auth/mail/open-mail.ts'
import { authAdminRoutes, authRoutes } from './auth/routes/index.ts'
import { embeddedKeyPath, openSecretBox } from './auth/secret-box.ts'
import { AuthService } from './auth/service.ts'
import { SigningKeys } from './auth/signing-keys.ts'
import { purgeAuthTokens } from './auth/token-purge.ts'
import type { Bus } from './bus/bus.ts'
import type { JobQueue } from './bus/jobs.ts'
import { openBus } from './bus/open-bus.ts'
import { openJobQueue } from './bus/open-jobs.ts'
import type { Config, Role } from './core/config.ts'
import type { Logger } from './core/logger.ts'
import { createMetrics, type Metrics } from './core/metrics.ts'
import type { Database } from './db/database.ts'
import { migrate } from './db/migrate.ts'
import { openDatabase } from './db/open-database.ts'
import { documentsAdminRoutes, documentsRoutes } from './documents/routes/index.ts'
import { DocumentsService } from './documents/service.ts'
import { functionsAdminRoutes, functionsRoutes } from './functions/routes/index.ts'
import { FunctionsService } from './functions/service.ts'
import { buildGateway } from './gateway/build.ts'
import { Housekeeping } from './maintenance/housekeeping.ts'
import type { GaugeSample } from './observability/recorder.ts'
import { observabilityAdminRoutes } from './observability/routes/index.ts'
import { ObservabilityService } from './observability/service.ts'
import { outboxLagSeconds } from './outbox/outbox.ts'
import { pruneOutbox } from './outbox/outbox-retention.ts'
import { OutboxRelay, signalOutboxCommits } from './outbox/relay.ts'
import { queueAdminRoutes, queueRoutes } from './queue/routes/index.ts'
import { QueueService } from './queue/service.ts'
import { realtimeRoutes } from './realtime/routes/index.ts'
import { RealtimeService } from './realtime/service.ts'
import { RulesEvaluator } from './rules/rules.ts'
import { openStorage } from './storage/open-storage.ts'
import { storageAdminRoutes, storageRoutes } from './storage/routes/index.ts'
import { StorageService } from './storage/service.ts'
import type { StorageDriver } from './storage/storage-driver.ts'

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
  /** Buckets and objects. */
  storage: StorageService
  /** The document database. */
  documents: DocumentsService
  /** Functions: registry, sandbox pool and (worker roles) dispatcher, job processors and schedules. */
  functions: FunctionsRuntime
  /** Function executions' job queue. */
  jobs: JobQueue
  /** Present when the role runs workers. */
  relay?: OutboxRelay
  /** Per-minute rollups (series, usage) and this node's entry in the nodes list. */
  observability: ObservabilityService
  /** Cleanup of old outbox events and spent auth tokens; present when the role runs workers. */
  housekeeping?: Housekeeping
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
  let jobs: JobQueue | undefined
  let mail: MailTransport | undefined
  let rateLimitRedis: Redis | undefined
  let storageDriver: StorageDriver | undefined
  let observability: ObservabilityService | undefined
  try {
    const applied = await migrate(db)
    if (applied.length) logger.info({ applied }, 'applied database migrations')
    bus = openBus(config, logger)
    jobs = openJobQueue(config, logger.child({ component: 'jobs' }))
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
      // Embedded mode (one process, its own data directory) may generate its key; a shared database
      // needs AUTH_ENCRYPTION_KEY, identical on every node.
      secrets: openSecretBox({
        key: config.auth.encryptionKey,
        generatedKeyFile: config.database.url ? undefined : embeddedKeyPath(config.dataDir),
      }),
      redirectUrls: config.auth.redirectUrls,
      externalUrl: config.auth.externalUrl,
    })
    const rules = new RulesEvaluator({ logger: logger.child({ component: 'rules' }) })
    // Built before the services whose hot paths feed its recorder (storage, functions, the gateway);
    // its samplers run only after start(), once everything they read exists.
    const samplers: Array<() => Promise<GaugeSample[]>> = [
      async () => [{ metric: 'outbox_lag_seconds', labels: {}, value: await outboxLagSeconds(db) }],
      async () => {
        const [stats, ages] = await Promise.all([
          queueDeps.service.list(),
          queueDeps.service.oldestWaitingAges(),
        ])
        return stats.flatMap((q) => [
          { metric: 'queue_depth', labels: { queue: q.name }, value: q.depth },
          { metric: 'queue_oldest_age_seconds', labels: { queue: q.name }, value: ages.get(q.name) ?? 0 },
        ])
      },
      async () =>
        (await storage.bucketSizes()).map((b) => ({
          metric: 'storage_bytes',
          labels: { bucket: b.name },
          value: b.bytes,
        })),
      async () => [
        {
          metric: 'realtime_connections',
          labels: {},
          value: (await metrics.websocketConnections.get()).values[0]?.value ?? 0,
        },
      ],
    ]
    const liveObservability: ObservabilityService = new ObservabilityService({
      db,
      logger: logger.child({ component: 'observability' }),
      role,
      rollup: config.observability.rollup,
      flushMs: config.observability.flushMs,
      retentionDays: config.observability.retentionDays,
      samplers,
      storedBytes: (): ReturnType<StorageService['bucketSizes']> => storage.bucketSizes(),
    })
    observability = liveObservability
    const recorder = liveObservability.recorder
    storageDriver = await openStorage(config, logger)
    const storage = new StorageService({
      db,
      driver: storageDriver,
      rules,
      logger: logger.child({ component: 'storage' }),
      maxFileSize: config.storage.maxFileSize,
      meter: recorder,
    })
    const documents = await DocumentsService.create({
      db,
      rules,
      logger: logger.child({ component: 'database' }),
      limits: config.documents,
      configCacheMs: config.documents.configCacheMs,
      listMaxScan: config.documents.listMaxScan,
    })

    // The relay leader may be another node: tell it about this node's commits.
    const stopSignalling = signalOutboxCommits(db, bus)
    let relay: OutboxRelay | undefined
    if (role !== 'api') {
      relay = new OutboxRelay(db, bus, {
        ...config.relay,
        logger: logger.child({ component: 'relay' }),
        metrics,
      })
      // Started below, once the functions dispatcher has subscribed: the in-process bus hands events
      // only to subscribers registered when they are published.
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
    const storageDeps = { service: storage, maxFileSize: config.storage.maxFileSize }
    const documentsDeps = {
      service: documents,
      // A document's JSON plus its envelope must fit, whatever the general body limit.
      documentBodyLimit: Math.max(config.server.bodyLimit, config.documents.maxDocumentBytes + 64 * 1024),
    }
    const liveStorage = storageDriver
    const authDeps = {
      service: auth,
      rateLimit: config.auth.rateLimit,
      mailbox: mail instanceof DevMailbox ? mail : undefined,
    }
    // Every role builds the gateway: workers do not listen, but functions' ctx.db/storage/queue call
    // the platform's own HTTP API in-process through it (inject), as the function's own principal.
    let gateway: FastifyInstance | undefined
    const functionsRuntime = new FunctionsRuntime({
      db,
      bus,
      jobs,
      logger: logger.child({ component: 'functions' }),
      registry: metrics.registry,
      config: config.functions,
      http: (request) => {
        if (!gateway) throw new Error('the gateway is not built yet')
        return gateway.inject(request)
      },
      principal: (name) => keys.functionToken(name),
      onExecution: recorder && ((fn, status, ms) => recorder.execution(fn.name, status, ms, fn.memoryMb)),
    })
    const functionsDeps = {
      service: new FunctionsService(functionsAdminPort(functionsRuntime), {
        maxMemoryMb: config.functions.maxMemoryMb,
      }),
      invoker: functionsRuntime,
    }
    const queueDeps = {
      service: new QueueService({
        db,
        rules,
        dedupSeconds: config.queue.dedupSeconds,
        stats: () => functionsRuntime.queueStats(),
      }),
    }
    // Realtime follows the bus on every node that serves clients.
    const realtime =
      role === 'worker'
        ? undefined
        : new RealtimeService({
            db,
            bus,
            keys,
            collections: documents.collections,
            logger: logger.child({ component: 'realtime' }),
            limits: config.realtime,
            onConnections: (count) => metrics.websocketConnections.set(count),
          })
    await realtime?.start()
    gateway = await buildGateway({
      config,
      logger,
      metrics,
      keys,
      checks: [
        { name: 'database', check: () => db.ping() },
        { name: 'bus', check: () => liveBus.ping() },
        { name: 'storage', check: () => liveStorage.ping() },
      ],
      collectors: [lagCollector, queueCollector, async () => void (await functionsRuntime.queueStats())],
      onResponse: recorder && ((url, status, ms) => recorder.request(url, status, ms)),
      services: [
        { prefix: '/auth/v1', routes: authRoutes(authDeps) },
        { prefix: '/storage/v1', routes: storageRoutes(storageDeps) },
        { prefix: '/db/v1', routes: documentsRoutes(documentsDeps) },
        { prefix: '/functions/v1', routes: functionsRoutes(functionsDeps) },
        { prefix: '/queue/v1', routes: queueRoutes(queueDeps) },
        ...(realtime ? [{ prefix: '/realtime/v1', routes: realtimeRoutes({ service: realtime }) }] : []),
      ],
      admin: [
        authAdminRoutes(authDeps),
        storageAdminRoutes(storageDeps),
        documentsAdminRoutes(documentsDeps),
        functionsAdminRoutes(functionsDeps),
        queueAdminRoutes(queueDeps),
        observabilityAdminRoutes({ service: liveObservability }),
      ],
      rateLimit: { redis: rateLimitRedis, prefix: config.redis.prefix },
    })
    const app = role === 'worker' ? undefined : gateway
    const liveGateway = gateway
    const liveJobs = jobs
    await functionsRuntime.start({ worker: role !== 'api' })
    await relay?.start()
    const housekeeping =
      role === 'api'
        ? undefined
        : new Housekeeping(
            [
              {
                name: 'outbox',
                run: () =>
                  pruneOutbox(db, {
                    retentionHours: config.housekeeping.outboxRetentionHours,
                    keepUnsettled: liveBus.settledThrough !== undefined,
                  }),
              },
              { name: 'auth-tokens', run: () => purgeAuthTokens(db) },
              { name: 'metrics', run: () => liveObservability.prune() },
            ],
            {
              intervalMs: config.housekeeping.intervalMs,
              logger: logger.child({ component: 'housekeeping' }),
            },
          )
    housekeeping?.start()
    await liveObservability.start()

    const liveMail = mail
    let closing: Promise<void> | undefined
    const close = () => {
      closing ??= (async () => {
        // Stop taking function jobs first (their ctx calls need the gateway), then HTTP, then the rest.
        await functionsRuntime.stop()
        await housekeeping?.stop()
        await realtime?.close()
        await liveGateway.close()
        // After the gateway and the executions: their last counts go out with the last flush.
        await liveObservability.close()
        await functionsRuntime.close()
        await liveJobs.close()
        await auth.close()
        await storage.close()
        await liveStorage.close()
        await liveMail.close()
        // quit() waits for a reply: only ask a connected client, else drop the socket.
        if (rateLimitRedis?.status === 'ready') await rateLimitRedis.quit().catch(() => {})
        else rateLimitRedis?.disconnect()
        await relay?.stop()
        stopSignalling()
        await liveBus.close()
        await db.close()
      })()
      return closing
    }
    return {
      config,
      role,
      logger,
      metrics,
      db,
      bus,
      keys,
      auth,
      storage,
      documents,
      functions: functionsRuntime,
      jobs,
      relay,
      observability: liveObservability,
      housekeeping,
      app,
      createdKeys: created,
      close,
    }
  } catch (error) {
    await observability?.close().catch(() => {})
    rateLimitRedis?.disconnect()
    await storageDriver?.close().catch(() => {})
    await mail?.close().catch(() => {})
    await jobs?.close().catch(() => {})
    await bus?.close().catch(() => {})
    await db.close().catch(() => {})
    throw error
  }
}
