import { parseArgs } from 'node:util'
import { ControlError, callControlSocket, controlSocketPath } from './admin/control-socket.ts'
import { localCommands } from './admin/local-commands.ts'
import { type Admin, AdminService } from './admin/service.ts'
import { embeddedKeyPath, openSecretBox } from './auth/secret-box.ts'
import { SigningKeys } from './auth/signing-keys.ts'
import { APP_COMMANDS, APP_USAGE, AppUsageError, runAppCommand } from './cli/app/commands.ts'
import { AppCliError } from './cli/app/errors.ts'
import { type Config, ConfigError, loadConfig, ROLES, type Role } from './core/config.ts'
import { isStratusError } from './core/errors.ts'
import { createLogger } from './core/logger.ts'
import { MigrationError, migrate } from './db/migrate.ts'
import type { openDatabase } from './db/open-database.ts'

const USAGE = `Usage: stratus <command> [options]

Commands:
  start [--role all|api|worker]   run the platform (default role: all)
  migrate                         apply pending database migrations and exit
  keys [--json]                   print the project's service key
  keys rotate                     add a new signing key (old tokens keep verifying)
  keys rotate-service             issue a new service key and revoke every other one
  admin create --email E --password P [--role owner|developer|viewer]
                                  add an admin account (default role: owner)
  admin list [--json]             list admin accounts

keys and admin work while a server runs: with the embedded database they ask the running server over
its control socket (<STRATUS_DATA_DIR>/control.sock); otherwise they open the database themselves.

${APP_USAGE}

Configuration comes from the environment: see the README.`

/** A mistake in how the command was called: printed as one line with the usage. */
class UsageError extends Error {}

async function start(config: Config, role: Role): Promise<void> {
  const logger = createLogger(config.log.level, { bindings: { role }, format: config.log.format ?? 'auto' })
  // Loaded here, not at the top: the app commands (plan, deploy, …) start without the whole platform.
  const { createPlatform } = await import('./platform.ts')
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
  const { openDatabase } = await import('./db/open-database.ts')
  const db = await openDatabase(config)
  try {
    return await fn(db)
  } finally {
    await db.close()
  }
}

/**
 * Runs one of the local commands (services/admin/local-commands.ts). The embedded database admits one
 * process: if a server holds it, it runs the command for us on its control socket; if none answers
 * there (or the database is PostgreSQL, which any number of processes share), the CLI opens the
 * database and runs the same command itself.
 */
async function runLocal(
  config: Config,
  command: string,
  args: Record<string, unknown> = {},
): Promise<unknown> {
  if (!config.database.url) {
    const answer = await callControlSocket(controlSocketPath(config.dataDir), command, args)
    if (answer.answered) return answer.result
  }
  return withDatabase(config, async (db) => {
    await migrate(db)
    const secrets = openSecretBox({
      key: config.auth.encryptionKey,
      generatedKeyFile: config.database.url ? undefined : embeddedKeyPath(config.dataDir),
    })
    const { keys } = await SigningKeys.open(db, { secrets })
    const admins = await AdminService.create({
      db,
      secrets,
      sessionTtlSeconds: config.admin.sessionTtlSeconds,
    })
    const handler = localCommands({ admins, keys })[command]
    if (!handler) throw new Error(`no local command ${command}`)
    return handler(args)
  })
}

function adminLine(admin: Admin): string {
  return `${admin.id}  ${admin.email}  ${admin.role}${admin.mfa ? '  (TOTP)' : ''}`
}

/** Runs the `stratus` command line with `argv` (without node and script). */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (argv[0] && APP_COMMANDS.has(argv[0]) && !argv.includes('--help') && !argv.includes('-h')) {
    process.exitCode = await runAppCommand(argv, {
      env,
      // Read only when neither --key nor STRATUS_SERVICE_KEY is given: the same key `stratus keys` prints.
      localServiceKey: async () => ((await runLocal(loadConfig(env), 'keys')) as { service: string }).service,
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
    })
    return
  }
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      email: { type: 'string' },
      password: { type: 'string' },
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
      const role = (values.role ?? 'all') as Role
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
      if (sub === 'rotate-service') {
        const { id, service } = (await runLocal(config, 'keys-rotate-service')) as {
          id: string
          service: string
        }
        process.stdout.write(
          values.json
            ? `${JSON.stringify({ id, service })}\n`
            : `New service key ${id}; every other service key is revoked.\nService key: ${service}\n`,
        )
      } else if (sub === 'rotate') {
        const { kid, service } = (await runLocal(config, 'keys-rotate')) as { kid: string; service: string }
        process.stdout.write(
          values.json
            ? `${JSON.stringify({ kid, service })}\n`
            : `New signing key ${kid}.\nService key: ${service}\n`,
        )
      } else if (sub === undefined) {
        const { service } = (await runLocal(config, 'keys')) as { service: string }
        process.stdout.write(values.json ? `${JSON.stringify({ service })}\n` : `${service}\n`)
      } else {
        throw new UsageError(`unknown keys command "${sub}"`)
      }
      return
    }
    case 'admin': {
      if (sub === 'create') {
        if (!values.email || !values.password)
          throw new UsageError('admin create needs --email and --password')
        const { admin } = (await runLocal(config, 'admin-create', {
          email: values.email,
          password: values.password,
          role: values.role ?? 'owner',
        })) as { admin: Admin }
        process.stdout.write(
          values.json
            ? `${JSON.stringify({ admin })}\n`
            : `Created admin ${admin.email} (${admin.role}), id ${admin.id}.\n`,
        )
      } else if (sub === 'list') {
        const { admins } = (await runLocal(config, 'admin-list')) as { admins: Admin[] }
        process.stdout.write(
          values.json
            ? `${JSON.stringify({ admins })}\n`
            : admins.length
              ? `${admins.map(adminLine).join('\n')}\n`
              : 'No admin accounts yet: stratus admin create --email E --password P\n',
        )
      } else {
        throw new UsageError(`unknown admin command "${sub ?? ''}" (create or list)`)
      }
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
    if (
      error instanceof ConfigError ||
      error instanceof MigrationError ||
      error instanceof ControlError ||
      isStratusError(error)
    ) {
      process.stderr.write(`stratus: ${error.message}\n`)
    } else if (error instanceof AppUsageError) {
      process.stderr.write(`stratus: ${error.message}\n\n${USAGE}\n`)
    } else if (error instanceof AppCliError) {
      process.stderr.write(`stratus: ${error.message}\n`)
      process.exit(error.exitCode)
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
