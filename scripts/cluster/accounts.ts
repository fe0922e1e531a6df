// System accounts the cluster runs worker nodes under, one per worker, so a fault can single one
// out by its uid (iptables' owner match: scripts/chaos/partition.ts).
import { spawnSync } from 'node:child_process'

export interface Account {
  name: string
  uid: number
  gid: number
}

function idOf(name: string, flag: '-u' | '-g'): number | undefined {
  const result = spawnSync('id', [flag, name], { encoding: 'utf8' })
  if (result.status !== 0) return undefined
  const value = Number(result.stdout.trim())
  return Number.isInteger(value) ? value : undefined
}

/** The account `name`, created (a system user: no home, no login) when missing. Needs root. */
export function ensureSystemAccount(name: string): Account {
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(name)) throw new Error(`not an account name: ${name}`)
  if (idOf(name, '-u') === undefined) {
    const created = spawnSync(
      'useradd',
      ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name],
      {
        encoding: 'utf8',
      },
    )
    // Another run may have created it meanwhile: only a still missing account is an error.
    if (created.status !== 0 && idOf(name, '-u') === undefined)
      throw new Error(`useradd ${name} failed: ${created.stderr || created.error?.message}`)
  }
  const uid = idOf(name, '-u')
  const gid = idOf(name, '-g')
  if (uid === undefined || gid === undefined) throw new Error(`account ${name}: no uid/gid`)
  return { name, uid, gid }
}

/** The account of worker `index` (0-based): stratus-chaos-1, stratus-chaos-2, … */
export function workerAccountName(index: number): string {
  return `stratus-chaos-${index + 1}`
}
