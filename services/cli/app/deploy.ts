import { createInterface } from 'node:readline/promises'
import type { Change, DeployRequest, DeployResult, Manifest } from '../../deployments/manifest.ts'
import type { DeploymentSummary } from '../../deployments/store.ts'
import { type AdminApi, ApiError } from './api.ts'
import { AppCliError } from './errors.ts'
import { renderPlan } from './plan-view.ts'

const DEPLOYMENTS = '/admin/v1/deployments'

/** Options of a deploy as the command line gives them. */
export interface DeployOptions {
  allowDestroy: boolean
  prune: boolean
}

/** What the server would do with `manifest` (POST with dryRun: nothing changes, nothing recorded). */
export async function dryRun(api: AdminApi, manifest: Manifest, options: DeployOptions): Promise<Change[]> {
  // allowDestroy so the plan lists every step, data loss included, instead of a refusal.
  const body: DeployRequest = { manifest, dryRun: true, allowDestroy: true, prune: options.prune }
  const result = await api.post<DeployResult>(DEPLOYMENTS, body)
  return result.changes
}

function refusal(changes: Change[]): string {
  const names = changes.filter((c) => c.dataLoss).map((c) => `${c.action} ${c.kind} ${c.name}`)
  return `refused: this deploy would lose data (${names.join(', ')}). Nothing was changed. Run it again with --allow-destroy to accept that.`
}

/** Asks on a terminal; in CI (no TTY) or with --yes nobody is asked. */
async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout })
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim())
  } finally {
    rl.close()
  }
}

/**
 * Prints the plan, refuses data loss without --allow-destroy (exit 1, nothing sent), asks on a terminal
 * unless --yes, then applies. Resolves with the deployment's id, or null when nothing was applied.
 */
export async function deploy(
  api: AdminApi,
  manifest: Manifest,
  options: DeployOptions & { yes: boolean; interactive: boolean },
  out: (text: string) => void,
): Promise<DeployResult> {
  const planned = await dryRun(api, manifest, options)
  out(renderPlan(planned))
  if (planned.some((c) => c.dataLoss) && !options.allowDestroy) throw new AppCliError(refusal(planned))
  if (
    planned.length &&
    options.interactive &&
    !options.yes &&
    !(await confirm('Apply these changes? [y/N] '))
  )
    throw new AppCliError('cancelled: nothing was changed')
  const result = await apply(api, manifest, options)
  out(`Deployed ${result.id} (${result.hash.slice(0, 12)}).\n`)
  return result
}

/**
 * Applies without planning first (the dev loop, where each save is a deploy): the server still refuses
 * data loss without allowDestroy, and its answer lists what changed.
 */
export async function apply(
  api: AdminApi,
  manifest: Manifest,
  options: DeployOptions,
): Promise<DeployResult> {
  try {
    const body: DeployRequest = { manifest, allowDestroy: options.allowDestroy, prune: options.prune }
    return await api.post<DeployResult>(DEPLOYMENTS, body)
  } catch (error) {
    // Also when the live project changed between a plan and this apply: the server's refusal wins.
    if (error instanceof ApiError && error.code === 'deployments/data-loss') {
      const changes = (error.details as { changes?: Change[] } | undefined)?.changes ?? []
      throw new AppCliError(refusal(changes))
    }
    throw error
  }
}

/** Re-applies deployment `id` (default: the one before the latest), recorded as a new deployment. */
export async function rollback(
  api: AdminApi,
  id: string | undefined,
  allowDestroy: boolean,
  out: (text: string) => void,
): Promise<DeployResult> {
  let target = id
  if (!target) {
    const { deployments } = await api.get<{ deployments: DeploymentSummary[] }>(`${DEPLOYMENTS}?limit=2`)
    if (deployments.length < 2)
      throw new AppCliError('nothing to roll back to: fewer than two deployments are recorded')
    target = deployments[1]!.id
  }
  try {
    const result = await api.post<DeployResult>(
      `${DEPLOYMENTS}/${encodeURIComponent(target)}/rollback`,
      allowDestroy ? { allowDestroy } : {},
    )
    out(renderPlan(result.changes))
    out(`Rolled back to ${target}${result.id ? ` as deployment ${result.id}` : ''}.\n`)
    return result
  } catch (error) {
    if (error instanceof ApiError && error.code === 'deployments/data-loss') {
      const changes = (error.details as { changes?: Change[] } | undefined)?.changes ?? []
      throw new AppCliError(refusal(changes))
    }
    throw error
  }
}
