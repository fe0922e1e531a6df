import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { AdminApi } from './api.ts'
import { pointingAtSource } from './code-errors.ts'
import { deploy, dryRun, rollback } from './deploy.ts'
import { dev } from './dev.ts'
import { AppCliError } from './errors.ts'
import { initProject, TYPES_FILE } from './init.ts'
import { renderPlan } from './plan-view.ts'
import { loadProject } from './project.ts'
import { liveResources, pull } from './pull.ts'
import { generateTypes } from './types-gen.ts'
import { wireProject } from './wire.ts'

/** The app-as-code part of `stratus --help`. */
export const APP_USAGE = `App as code (stratus.yaml; common options --url URL, --key KEY, --dir DIR):
  init [dir]                      a new project: stratus.yaml, a typed function, package.json, README
  plan [--json] [--prune]         what deploy would create, change, rename and delete (data loss marked)
  deploy [--yes] [--allow-destroy] [--prune]
                                  apply stratus.yaml, all or nothing; refuses data loss without
                                  --allow-destroy; resources the file does not name stay unless --prune
  rollback [deploymentId] [--allow-destroy]
                                  re-apply a recorded deployment (default: the one before the latest)
  diff [--exit-code] [--json] [--prune]
                                  drift between stratus.yaml and the server (--exit-code: exit 1 on drift)
  pull                            write the live project into stratus.yaml (secrets as \${env:NAME})
  types [--out FILE]              TypeScript from stratus.yaml alone (default ${TYPES_FILE})
  dev [--allow-destroy] [--prune] redeploy on every save; print executions and logs as they happen
The key defaults to STRATUS_SERVICE_KEY, else to the local project's (as \`stratus keys\` prints it).`

/** What the app commands need from the process that runs them. */
export interface AppDeps {
  env: NodeJS.ProcessEnv
  /** The local project's service key, as `stratus keys` reads it (the last resort for --key). */
  localServiceKey: () => Promise<string>
  stdout: (text: string) => void
  stderr: (text: string) => void
}

type FlagName = 'url' | 'key' | 'dir' | 'json' | 'yes' | 'allow-destroy' | 'prune' | 'exit-code' | 'out'

const FLAG_TYPES: Record<FlagName, 'string' | 'boolean'> = {
  url: 'string',
  key: 'string',
  dir: 'string',
  json: 'boolean',
  yes: 'boolean',
  'allow-destroy': 'boolean',
  prune: 'boolean',
  'exit-code': 'boolean',
  out: 'string',
}

const COMMON: FlagName[] = ['url', 'key', 'dir']

/** Each command, its own flags and how many positionals it takes. */
const COMMANDS: Record<string, { flags: FlagName[]; positionals: number }> = {
  init: { flags: [], positionals: 1 },
  plan: { flags: ['json', 'prune'], positionals: 0 },
  deploy: { flags: ['yes', 'allow-destroy', 'prune', 'json'], positionals: 0 },
  rollback: { flags: ['allow-destroy', 'json'], positionals: 1 },
  diff: { flags: ['exit-code', 'json', 'prune'], positionals: 0 },
  pull: { flags: [], positionals: 0 },
  types: { flags: ['out'], positionals: 0 },
  dev: { flags: ['allow-destroy', 'prune'], positionals: 0 },
}

/** The names `stratus` hands to this module. */
export const APP_COMMANDS = new Set(Object.keys(COMMANDS))

/** A wrong option or argument: printed with the usage. */
export class AppUsageError extends AppCliError {}

/** Parsed command line of one app command. */
export interface AppArgs {
  command: string
  positionals: string[]
  dir: string
  url: string
  flags: Partial<Record<FlagName, string | boolean>>
  key: () => Promise<string>
}

export function parseAppArgs(argv: string[], deps: AppDeps): AppArgs {
  const [command, ...rest] = argv
  const spec = command ? COMMANDS[command] : undefined
  if (!command || !spec) throw new AppUsageError(`unknown command "${command ?? ''}"`)
  const allowed = [...COMMON, ...spec.flags]
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: Object.fromEntries(
        (Object.keys(FLAG_TYPES) as FlagName[]).map((name) => [name, { type: FLAG_TYPES[name] }]),
      ),
    })
  } catch (error) {
    throw new AppUsageError(`${command}: ${(error as Error).message}`)
  }
  for (const name of Object.keys(parsed.values)) {
    if (!allowed.includes(name as FlagName))
      throw new AppUsageError(
        `${command} does not take --${name} (it takes ${allowed.map((f) => `--${f}`).join(', ')})`,
      )
  }
  if (parsed.positionals.length > spec.positionals)
    throw new AppUsageError(`${command}: unexpected argument "${parsed.positionals[spec.positionals]}"`)
  const values = parsed.values as AppArgs['flags']
  const url = (values.url as string | undefined) ?? 'http://127.0.0.1:8080'
  try {
    new URL(url)
  } catch {
    throw new AppUsageError(`--url must be a URL such as http://127.0.0.1:8080 (got "${url}")`)
  }
  const flagKey = values.key as string | undefined
  if (flagKey === '') throw new AppUsageError('--key is empty')
  return {
    command,
    positionals: parsed.positionals,
    dir: (values.dir as string | undefined) ?? '.',
    url,
    flags: values,
    key: async () => flagKey ?? (deps.env.STRATUS_SERVICE_KEY || (await deps.localServiceKey())),
  }
}

/** The admin API for a command's --url and --key. */
export async function apiFor(args: AppArgs): Promise<AdminApi> {
  return new AdminApi(args.url, await args.key())
}

/** Runs one app command; resolves with the process's exit code. */
export async function runAppCommand(argv: string[], deps: AppDeps): Promise<number> {
  const args = parseAppArgs(argv, deps)
  switch (args.command) {
    case 'init': {
      const dir = args.positionals[0] ?? args.dir
      const written = await initProject(dir)
      deps.stdout(
        `Created a Stratus project in ${dir}:\n${written.map((f) => `  ${f}`).join('\n')}\nNext: cd ${dir} && npx stratus deploy\n`,
      )
      return 0
    }
    case 'types': {
      const project = loadProject(args.dir)
      const out = (args.flags.out as string | undefined) ?? path.join(args.dir, TYPES_FILE)
      writeFileSync(out, await generateTypes(project.manifest))
      deps.stdout(`Wrote ${out}\n`)
      return 0
    }
    case 'plan': {
      const { manifest, bundles } = await wireProject(loadProject(args.dir), deps.env)
      const api = await apiFor(args)
      const changes = await pointingAtSource(bundles, () =>
        dryRun(api, manifest, { allowDestroy: true, prune: args.flags.prune === true }),
      )
      deps.stdout(args.flags.json ? `${JSON.stringify({ changes })}\n` : renderPlan(changes))
      return 0
    }
    case 'diff': {
      const { manifest, bundles } = await wireProject(loadProject(args.dir), deps.env)
      const api = await apiFor(args)
      const changes = await pointingAtSource(bundles, () =>
        dryRun(api, manifest, { allowDestroy: true, prune: args.flags.prune === true }),
      )
      // Changed outside a deployment, whether or not the file matches it now (say, after a pull).
      const drifted = (await liveResources(api)).filter((r) => r.drifted)
      if (args.flags.json) deps.stdout(`${JSON.stringify({ changes, drifted })}\n`)
      else {
        deps.stdout(changes.length ? `Drift:\n${renderPlan(changes)}` : renderPlan(changes))
        if (drifted.length)
          deps.stdout(
            `Changed outside a deployment since the last one: ${drifted.map((r) => `${r.kind} ${r.name}`).join(', ')}\n`,
          )
      }
      return args.flags['exit-code'] && changes.length ? 1 : 0
    }
    case 'deploy': {
      const { manifest, bundles } = await wireProject(loadProject(args.dir), deps.env)
      const json = args.flags.json === true
      const api = await apiFor(args)
      const result = await pointingAtSource(bundles, () =>
        deploy(
          api,
          manifest,
          {
            allowDestroy: args.flags['allow-destroy'] === true,
            prune: args.flags.prune === true,
            yes: args.flags.yes === true || json,
            interactive: process.stdin.isTTY === true && process.stdout.isTTY === true,
          },
          json ? () => {} : deps.stdout,
        ),
      )
      if (json) deps.stdout(`${JSON.stringify(result)}\n`)
      return 0
    }
    case 'rollback': {
      const json = args.flags.json === true
      const result = await rollback(
        await apiFor(args),
        args.positionals[0],
        args.flags['allow-destroy'] === true,
        json ? () => {} : deps.stdout,
      )
      if (json) deps.stdout(`${JSON.stringify(result)}\n`)
      return 0
    }
    case 'pull': {
      const written = await pull(await apiFor(args), args.dir, deps.stdout)
      deps.stdout(`Wrote ${written.join(', ')}\n`)
      return 0
    }
    case 'dev': {
      const api = await apiFor(args)
      const stop = new AbortController()
      const onSignal = () => stop.abort()
      process.once('SIGINT', onSignal)
      process.once('SIGTERM', onSignal)
      try {
        await dev(
          api,
          {
            dir: args.dir,
            env: deps.env,
            allowDestroy: args.flags['allow-destroy'] === true,
            prune: args.flags.prune === true,
            out: deps.stdout,
            err: deps.stderr,
          },
          stop.signal,
        )
      } finally {
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
      }
      return 0
    }
    default:
      throw new AppUsageError(`unknown command "${args.command}"`)
  }
}
