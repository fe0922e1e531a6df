import type { ProviderInput } from '../auth/oauth/presets.ts'
import { StratusError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import type { DeployInput } from '../functions/model.ts'
import type { DesiredSnapshot } from './desired.ts'
import type { LiveSnapshot, ProjectServices } from './live.ts'
import type { Change } from './manifest.ts'

// Applies a plan. The services commit each change in transactions of their own (and index builds and
// function deploys cannot join a transaction), so all-or-nothing is had another way: everything is
// checked before the first write (schema, service checks, references, data loss, code in a sandbox),
// then every change that keeps data runs with its undo remembered, and deletes run last. When a step
// fails, the steps done are undone in reverse order; deletes already made are not undone.

type Undo = () => Promise<unknown>

/** What an apply needs: the plan, both snapshots, the checked function versions, the services. */
export interface ApplyInput {
  changes: readonly Change[]
  desired: DesiredSnapshot
  live: LiveSnapshot
  /** Function versions `FunctionsService.check` answered, by name. */
  checked: Map<string, DeployInput>
  services: ProjectServices
  logger: Logger
}

/** Applies `changes` in order; on failure undoes what it did (see above) and rethrows. */
export async function applyChanges(input: ApplyInput): Promise<void> {
  const undo: Undo[] = []
  let current: Change | undefined
  let deleted = 0
  try {
    for (const change of input.changes) {
      current = change
      if (change.action !== 'delete') undo.push(...(await applyOne(change, input)))
    }
    // A renamed function's old name goes first: the rename is not done until it stops running.
    for (const change of input.changes) {
      current = change
      if (change.action === 'rename' && change.kind === 'function')
        await input.services.functions.remove(change.from!)
    }
    for (const change of input.changes) {
      current = change
      if (change.action === 'delete') {
        await deleteOne(change, input)
        deleted++
      }
    }
  } catch (error) {
    for (const step of undo.reverse()) {
      try {
        await step()
      } catch (undoError) {
        input.logger.error({ err: undoError }, 'could not undo a step of a failed deployment')
      }
    }
    input.logger.warn({ err: error, change: current }, 'a deployment failed while applying; undone')
    const cause = error instanceof StratusError ? { code: error.code, message: error.message } : undefined
    throw new StratusError(
      'deployments/apply-failed',
      `Applying ${current?.action} ${current?.kind} ${current?.name} failed${cause ? `: ${cause.message}` : ''}; ` +
        `the changes before it were undone${deleted ? ` (except ${deleted} deletes)` : ''}`,
      { details: { change: current, deletesKept: deleted, ...(cause ? { cause } : {}) }, cause: error },
    )
  }
}

/** Applies one create, update or rename; answers how to undo it. */
async function applyOne(change: Change, input: ApplyInput): Promise<Undo[]> {
  const { services, desired, live } = input
  const { name } = change
  switch (change.kind) {
    case 'authSettings': {
      const before = live.project.authSettings.get('settings')!.spec as { redirectUrls: string[] }
      const spec = desired.project.authSettings.get('settings')!.spec as { redirectUrls: string[] }
      await services.oauth.updateSettings({ redirectUrls: [...spec.redirectUrls] })
      return [() => services.oauth.updateSettings(before)]
    }
    case 'authProvider': {
      const previous = live.providers.get(name)
      await services.oauth.providers.put(name, desired.providers.get(name)!)
      if (!previous) return [() => services.oauth.providers.delete(name)]
      const restore: ProviderInput = {
        type: previous.type,
        ...(previous.preset ? { preset: previous.preset } : {}),
        ...(previous.issuer ? { issuer: previous.issuer } : {}),
        ...(previous.authorizationUrl ? { authorizationUrl: previous.authorizationUrl } : {}),
        ...(previous.tokenUrl ? { tokenUrl: previous.tokenUrl } : {}),
        ...(previous.userinfoUrl ? { userinfoUrl: previous.userinfoUrl } : {}),
        clientId: previous.clientId,
        clientSecret: previous.clientSecret,
        scopes: previous.scopes,
      }
      return [() => services.oauth.providers.put(name, restore)]
    }
    case 'collection': {
      const spec = desired.project.collection.get(name)!.spec as unknown as Parameters<
        ProjectServices['documents']['putCollection']
      >[1]
      const source = change.action === 'rename' ? change.from! : name
      const before = live.project.collection.get(source)?.spec as unknown as typeof spec | undefined
      const undo: Undo[] = []
      if (change.action === 'rename') {
        await services.documents.renameCollection(source, name)
        undo.push(() => services.documents.renameCollection(name, source))
        if (!change.fields) return undo
      }
      await services.documents.putCollection(name, spec)
      undo.push(
        before
          ? () => services.documents.putCollection(name, before)
          : () => services.documents.deleteCollection(name),
      )
      return undo
    }
    case 'bucket': {
      const previous = live.buckets.get(name)
      await services.storage.buckets.put(name, desired.buckets.get(name)!)
      if (!previous) return [() => services.storage.buckets.delete(name)]
      const { name: _n, createdAt: _c, updatedAt: _u, ...settings } = previous
      return [() => services.storage.buckets.put(name, settings)]
    }
    case 'queue': {
      const before = live.project.queue.get(name)?.spec.rules as { publish?: string | boolean } | undefined
      const spec = desired.project.queue.get(name)!.spec.rules as { publish?: string | boolean }
      await services.queue.setRules(name, spec)
      return [before ? () => services.queue.setRules(name, before) : () => services.queue.remove(name)]
    }
    case 'function': {
      const previous = live.functions.get(name)
      await services.functions.store(name, input.checked.get(name)!)
      return [
        previous
          ? () => services.functions.rollback(name, previous.version)
          : () => services.functions.remove(name),
      ]
    }
  }
}

async function deleteOne(change: Change, input: ApplyInput): Promise<void> {
  const { services, live } = input
  const { name } = change
  switch (change.kind) {
    case 'authSettings':
      return
    case 'authProvider':
      return services.oauth.providers.delete(name)
    case 'collection':
      await services.documents.deleteCollection(name)
      return
    case 'bucket':
      if ((live.project.bucket.get(name)?.holds ?? 0) > 0) await services.storage.deleteBucketAndObjects(name)
      else await services.storage.buckets.delete(name)
      return
    case 'queue':
      await services.queue.remove(name)
      return
    case 'function':
      return services.functions.remove(name)
  }
}
