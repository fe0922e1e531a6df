import type { SigningKeys } from '../auth/signing-keys.ts'
import { StratusError } from '../core/errors.ts'
import type { ControlHandler } from './control-socket.ts'
import type { AdminService } from './service.ts'

/** What the local commands act on: the running server's own services, or the CLI's. */
export interface LocalCommandDeps {
  admins: AdminService
  keys: SigningKeys
}

function text(args: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const value = args[name]
  if (value === undefined && !required) return undefined
  if (typeof value !== 'string')
    throw new StratusError('request/invalid', `--${name} is required`, { details: { field: name } })
  return value
}

/**
 * The fixed set of commands `stratus keys` and `stratus admin` run: served on the control socket by a
 * server holding the embedded database, or run by the CLI itself on a database it opened. Changes are
 * audited with the service as actor (whoever can run them can read the service key) and no address.
 */
export function localCommands(deps: LocalCommandDeps): Readonly<Record<string, ControlHandler>> {
  return {
    keys: async () => ({ service: await deps.keys.currentServiceToken() }),
    'keys-rotate': async () => {
      const kid = await deps.keys.rotate()
      await deps.admins.audit.record({
        actor: { type: 'service' },
        action: 'stratus keys rotate',
        target: { kid },
      })
      return { kid, service: deps.keys.serviceToken() }
    },
    'keys-rotate-service': async () => {
      const { id, service } = await deps.keys.rotateServiceKey()
      await deps.admins.audit.record({
        actor: { type: 'service' },
        action: 'stratus keys rotate-service',
        target: { id },
      })
      return { id, service }
    },
    'admin-create': async (args) => {
      const email = text(args, 'email', true)!
      const password = text(args, 'password', true)!
      const role = text(args, 'role', false)
      const admin = await deps.admins.createAdmin({ email, password, role })
      await deps.admins.audit.record({
        actor: { type: 'service' },
        action: 'stratus admin create',
        target: { id: admin.id },
        after: { email: admin.email, role: admin.role, password },
      })
      return { admin }
    },
    'admin-list': async () => ({ admins: await deps.admins.list() }),
  }
}
