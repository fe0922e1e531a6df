import { parseArgs } from 'node:util'
import { SigningKeys } from './auth/signing-keys.ts'
import { type Config, ConfigError, loadConfig, ROLES, type Role } from './core/config.ts'
import { createLogger } from './core/logger.ts'
import { MigrationError, migrate } from './db/migrate.ts'
import { openDatabase } from './db/open-database.ts'
import { createPlatform } from './platform.ts'

const USAGE = `Usage: stratus <command> [options]

Commands:
  start [--role all|api|worker]   run the platform (default role: all)
  migrate                         apply pending database migrations and exit
  keys [--json]                   print the project's service key
  keys rotate                     add a new signing key (old tokens keep verifying)

Configuration comes from the environment: see the README.`

/** A mistake in how the command was called: printed as one line with the usage. */
class UsageError extends Error {}

async function start(config: Config, role: Role): Promise<void> {
  const logger = createLogger(config.log.level, { role })
  const platform = await createPlatform(config, role, logger)
  if (platform.createdKeys) {
    // Printed once, on the start that created the project: `stratus keys` prints it again.
    process.stdout.write(
      `\nService key (full access; keep it secret; also printed by \`stratus keys\`):\n${platform.keys.serviceToken()}\n\n`,
    )
  }
  if (platform.app) {
    const address = await platform.app.listen({ host: config.server.host, port: config.server.port })
    logger.info(
      { address, role, database: platform.db.driver, bus: platform.bus.driver },
      'stratus is serving',
    )
  } else {
    logger.info({ role, database: platform.db.driver, bus: platform.bus.driver }, 'stratus worker is running')
  }
  let stopping = false
  const shutdown = (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down: finishing in-flight work')
    const timer = setTimeout(() => {
      logger.error('shutdown timed out; exiting')
      process.exit(1)
    }, config.server.shutdownTimeoutMs)
    timer.unref()
    platform.close().then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: error }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))
}

async function withDatabase<T>(
  config: Config,
  fn: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>,
): Promise<T> {
  const db = await openDatabase(config)
  try {
    return await fn(db)
  } finally {
    await db.close()
  }
}

/** Runs the `stratus` command line with `argv` (without node and script). */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: 'string', default: 'all' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const [command, sub] = positionals
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`)
    return
  }
  const config = loadConfig(env)
  switch (command) {
    case 'start': {
      const role = values.role as Role
      if (!ROLES.includes(role))
        throw new UsageError(`--role must be one of ${ROLES.join(', ')} (got "${values.role}")`)
      await start(config, role)
      return
    }
    case 'migrate': {
      const applied = await withDatabase(config, migrate)
      process.stdout.write(
        applied.length ? `Applied: ${applied.join(', ')}\n` : 'The database is up to date.\n',
      )
      return
    }
    case 'keys': {
      await withDatabase(config, async (db) => {
        await migrate(db)
        const { keys } = await SigningKeys.open(db)
        if (sub === 'rotate') {
          const kid = await keys.rotate()
          process.stdout.write(
            values.json
              ? `${JSON.stringify({ kid, service: keys.serviceToken() })}\n`
              : `New signing key ${kid}.\nService key: ${keys.serviceToken()}\n`,
          )
        } else if (sub === undefined) {
          process.stdout.write(
            values.json
              ? `${JSON.stringify({ service: keys.serviceToken() })}\n`
              : `${keys.serviceToken()}\n`,
          )
        } else {
          throw new UsageError(`unknown keys command "${sub}"`)
        }
      })
      return
    }
    default:
      throw new UsageError(`unknown command "${command}"`)
  }
}

/** Entry point: turns expected failures into one clear line and exit code 1, never a stack trace. */
export async function run(): Promise<void> {
  try {
    await main(process.argv.slice(2))
  } catch (error) {
    if (error instanceof ConfigError || error instanceof MigrationError) {
      process.stderr.write(`stratus: ${error.message}\n`)
    } else if (
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`stratus: ${(error as Error).message}\n\n${USAGE}\n`)
    } else {
      process.stderr.write(`stratus: could not start: ${(error as Error).message}\n`)
      if (process.env.LOG_LEVEL === 'debug' || process.env.LOG_LEVEL === 'trace') console.error(error)
    }
    process.exit(1)
  }
}
