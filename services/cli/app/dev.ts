import { existsSync, type FSWatcher, watch, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Execution } from '../../functions/model.ts'
import { type AdminApi, ApiError } from './api.ts'
import { pointingAtSource } from './code-errors.ts'
import { apply } from './deploy.ts'
import { TYPES_FILE } from './init.ts'
import { renderPlan } from './plan-view.ts'
import { loadProject, PROJECT_FILE } from './project.ts'
import { generateTypes } from './types-gen.ts'
import { wireProject } from './wire.ts'

/** How often the executions of each function are asked for. */
const POLL_MS = 1000
/** A listing not answered by then is given up, and the next poll asks again. */
const POLL_TIMEOUT_MS = 10_000
/** Saves closer together than this are one redeploy (editors write a file in several steps). */
const SETTLE_MS = 100

export interface DevOptions {
  dir: string
  env: NodeJS.ProcessEnv
  allowDestroy: boolean
  prune: boolean
  out: (text: string) => void
  err: (text: string) => void
}

/** Paths whose changes are not the project's: dependencies, VCS, and what dev writes itself. */
function ignored(file: string): boolean {
  const parts = file.split(path.sep)
  return parts.some((p) => p === 'node_modules' || p.startsWith('.')) || file === TYPES_FILE
}

function executionLines(name: string, e: Execution): string {
  const head = `[${name}] ${e.status} v${e.version} ${e.trigger} ${Math.round(e.durationMs)} ms  ${e.id}`
  const logs = e.logs.map((l) => `  ${l.level.padEnd(5)} ${l.msg}`)
  const error = e.error ? [`  error ${e.error.name ?? 'Error'}: ${e.error.message ?? ''}`] : []
  return `${[head, ...logs, ...error].join('\n')}\n`
}

/**
 * `stratus dev`: deploys, then redeploys on every save (bundling again; a stratus.yaml change also
 * regenerates stratus-types.ts when the project has one) and prints each function's new executions and
 * their logs as they finish. A failed bundle or deploy is printed and waits for the next save. Resolves
 * when `signal` aborts (Ctrl-C).
 */
export async function dev(api: AdminApi, options: DevOptions, signal: AbortSignal): Promise<void> {
  const { dir, out, err } = options
  let functions: string[] = []
  let running = false
  let again = false
  let settle: NodeJS.Timeout | undefined
  let typesStale = false
  /** When the first save not deployed yet happened: how long a redeploy took is printed from it. */
  let savedAt: number | undefined

  const redeploy = async (): Promise<void> => {
    if (running) {
      again = true
      return
    }
    running = true
    const saved = savedAt
    savedAt = undefined
    try {
      const project = loadProject(dir)
      if (typesStale && existsSync(path.join(dir, TYPES_FILE))) {
        writeFileSync(path.join(dir, TYPES_FILE), await generateTypes(project.manifest))
        out(`[dev] regenerated ${TYPES_FILE}\n`)
      }
      typesStale = false
      const { manifest, bundles } = await wireProject(project, options.env)
      const result = await pointingAtSource(bundles, () =>
        apply(api, manifest, { allowDestroy: options.allowDestroy, prune: options.prune }),
      )
      if (result.changes.length) out(renderPlan(result.changes))
      functions = Object.keys(manifest.functions ?? {})
      const took = saved === undefined ? '' : ` ${Date.now() - saved} ms after the save`
      out(`[dev] deployed${result.id ? ` ${result.id}` : ''}${took}; watching ${path.resolve(dir)}\n`)
    } catch (error) {
      err(`[dev] ${(error as Error).message}\n[dev] waiting for the next save\n`)
    } finally {
      running = false
      if (again) {
        again = false
        void redeploy()
      }
    }
  }

  const watcher: FSWatcher = watch(dir, { recursive: true }, (_event, filename) => {
    const file = filename ? String(filename) : ''
    if (file && ignored(file)) return
    if (file === PROJECT_FILE) typesStale = true
    savedAt ??= Date.now()
    clearTimeout(settle)
    settle = setTimeout(() => void redeploy(), SETTLE_MS)
  })

  // Executions are shown from now on: what ran before `dev` started is history.
  const since = new Date().toISOString()
  const seen = new Set<string>()
  let lastPollError: string | undefined
  const poll = async (): Promise<void> => {
    for (const name of functions) {
      try {
        const { executions } = await api.get<{ executions: Execution[] }>(
          `/admin/v1/functions/${encodeURIComponent(name)}/executions?limit=50&from=${encodeURIComponent(since)}`,
          POLL_TIMEOUT_MS,
        )
        for (const e of executions.reverse()) {
          if (seen.has(e.id)) continue
          seen.add(e.id)
          out(executionLines(name, e))
        }
      } catch (error) {
        // A function not deployed yet (or deleted by the last save) has nothing to show; anything else
        // is said once, not every second.
        const said = (error as Error).message
        if (!(error instanceof ApiError && error.status === 404) && said !== lastPollError)
          err(`[dev] ${said}\n`)
        lastPollError = said
      }
    }
  }
  // One poll at a time, the next a second after the last ended: a slow server is not asked again and
  // again while the earlier listings still wait.
  let poller: NodeJS.Timeout | undefined
  const schedule = () => {
    poller = setTimeout(() => void poll().finally(() => !signal.aborted && schedule()), POLL_MS)
  }
  schedule()

  await redeploy()
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve()
    signal.addEventListener('abort', () => resolve(), { once: true })
  })
  clearTimeout(poller)
  clearTimeout(settle)
  watcher.close()
}
