/**
 * The network partition fault: a worker, running under a uid of its own, has its TCP packets to the
 * cluster's PostgreSQL and Redis dropped by an iptables OUTPUT rule matching that uid (DROP, not
 * REJECT: the packets vanish, as across a real partition, so clients hang until their own timeouts).
 * Every rule carries the comment `stratus-chaos`, so one left by a run that died can be swept away.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const RULE_COMMENT = 'stratus-chaos'
const IPTABLES = '/usr/sbin/iptables'

/** The match and target of the rule cutting `uid` off from `ports` on 127.0.0.1 (after -I/-D OUTPUT). */
export function partitionRule(uid: number, ports: readonly number[]): string[] {
  if (!Number.isInteger(uid) || uid <= 0) throw new Error(`partition: not a uid of its own: ${uid}`)
  if (ports.length === 0) throw new Error('partition: no port to cut')
  return [
    '-m',
    'owner',
    '--uid-owner',
    String(uid),
    '-p',
    'tcp',
    '-d',
    '127.0.0.1',
    '-m',
    'multiport',
    '--dports',
    ports.join(','),
    '-m',
    'comment',
    '--comment',
    RULE_COMMENT,
    '-j',
    'DROP',
  ]
}

/** The delete commands for our rules among `iptables -S OUTPUT`'s lines (an `-A` becomes a `-D`). */
export function staleRuleDeletions(listing: string): string[][] {
  return listing
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(
      (words) =>
        words[0] === '-A' &&
        words.some((word, index) => word === '--comment' && unquote(words[index + 1]) === RULE_COMMENT),
    )
    .map((words) => ['-D', ...words.slice(1).map((word) => unquote(word) ?? word)])
}

function unquote(word: string | undefined): string | undefined {
  return word?.replace(/^"(.*)"$/, '$1')
}

function iptables(args: string[]): { ok: boolean; output: string } {
  const result = spawnSync(IPTABLES, ['-w', ...args], { encoding: 'utf8' })
  if (result.error) return { ok: false, output: result.error.message }
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}`.trim() }
}

/** Why the partition cannot be injected here, or null when it can (root, and iptables' owner match works). */
export function partitionUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'it needs root (iptables and a uid per worker)'
  const listing = iptables(['-S', 'OUTPUT'])
  if (!listing.ok) return `iptables does not work here: ${listing.output}`
  // The owner, multiport and comment matches may be missing from the kernel: try the rule on a uid
  // and ports nothing uses, and take it out at once.
  const probe = partitionRule(2_147_483_000, [1])
  const added = iptables(['-I', 'OUTPUT', ...probe])
  if (!added.ok) return `iptables refused the partition rule: ${added.output}`
  iptables(['-D', 'OUTPUT', ...probe])
  return unreadableByOthers()
}

/**
 * Workers run under uids of their own: they must be able to read the checkout and its node_modules.
 * A checkout under a folder closed to other users (a home directory of mode 700) cannot host them.
 */
function unreadableByOthers(): string | null {
  const root = fileURLToPath(new URL('../../', import.meta.url))
  const read = `const fs = require('node:fs'); const path = require('node:path');
    for (const f of ['bin/stratus.mjs', 'node_modules/isolated-vm/package.json']) fs.readFileSync(path.join(${JSON.stringify(root)}, f))`
  // nobody (65534): any uid that is not root nor the checkout's owner sees what a worker account sees.
  const probe = spawnSync(process.execPath, ['-e', read], { uid: 65534, gid: 65534, encoding: 'utf8' })
  if (probe.status === 0) return null
  return `a worker under its own uid cannot read the checkout at ${root} (a folder above it is closed to other users)`
}

/** Removes every rule of ours from OUTPUT (a run that died mid-partition left it); returns how many. */
export function sweepRules(): number {
  const listing = iptables(['-S', 'OUTPUT'])
  if (!listing.ok) return 0
  const deletions = staleRuleDeletions(listing.output)
  for (const deletion of deletions) iptables(deletion)
  return deletions.length
}

let guarded = false

/**
 * Makes sure no rule outlives this process: removed on exit, and on SIGINT/SIGTERM, which then end the
 * process through `process.exit` so the other exit handlers (the cluster's, killing its servers) run too.
 */
export function healOnExit(): void {
  if (guarded) return
  guarded = true
  process.once('exit', () => sweepRules())
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      sweepRules()
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15))
    })
  }
}

/** Cuts `uid` off from `ports`; the function returned heals it (idempotent). */
export function cut(uid: number, ports: readonly number[]): () => void {
  healOnExit()
  const rule = partitionRule(uid, ports)
  const added = iptables(['-I', 'OUTPUT', ...rule])
  if (!added.ok) throw new Error(`iptables refused the partition rule: ${added.output}`)
  let healed = false
  return () => {
    if (healed) return
    healed = true
    const removed = iptables(['-D', 'OUTPUT', ...rule])
    // Should the exact rule be gone already, whatever else of ours is left goes too.
    if (!removed.ok) sweepRules()
  }
}
