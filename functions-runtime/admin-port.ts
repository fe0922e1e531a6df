import type { FunctionsAdminPort } from '../services/functions/service.ts'
import type { FunctionsRuntime } from './runtime.ts'
import { CodeError } from './sandbox/instance.ts'

/**
 * The functions admin service's port, served by `runtime`: versions live in its store, code is checked
 * in its sandbox pool, and every change also refreshes this node (warm sandbox, schedules) at once.
 */
export function functionsAdminPort(runtime: FunctionsRuntime): FunctionsAdminPort {
  return {
    async validate(name, input) {
      try {
        return { entry: await runtime.pool.validate({ name, version: 0, ...input }) }
      } catch (error) {
        if (error instanceof CodeError)
          return { problem: { message: error.message, line: error.line, column: error.column } }
        throw error
      }
    },
    async deploy(name, input) {
      const version = await runtime.store.deploy(name, input)
      await runtime.afterChange(name)
      return version
    },
    async rollback(name, version) {
      await runtime.store.rollback(name, version)
      await runtime.afterChange(name)
    },
    async remove(name) {
      await runtime.store.delete(name)
      await runtime.afterChange(name)
    },
    liveVersions: () => runtime.store.liveVersions(),
    versions: (name) => runtime.store.versions(name),
    versionPage: (name, limit, before) => runtime.console.versionPage(name, limit, before),
    version: (name, version) => runtime.store.version(name, version),
    executions: (name, filter) => runtime.store.executions(name, filter),
    origins: (ids) => runtime.console.origins(ids),
    execution: (id) => runtime.console.execution(id),
    executionEvent: (execution) => runtime.operator.eventOf(execution),
    rerun: (id, request) => runtime.operator.rerun(id, request),
    deadLetters: (filter) => runtime.store.deadLetters(filter),
    redrive: (id) => runtime.redrive(id),
    redriveMany: (filter, max) => runtime.operator.redriveMany(filter, max),
    purgeDeadLetters: (filter) => runtime.deadLetters.purge(filter),
    schedules: () => runtime.scheduleViews(),
    runSchedule: (name, index) => runtime.operator.runSchedule(name, index),
    createReplay: (name, range, options) => runtime.replays.create(name, range, options),
    replay: (name, id) => runtime.replays.get(name, id),
    cancelReplay: (name, id) => runtime.replays.cancel(name, id),
  }
}
