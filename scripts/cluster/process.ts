import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

/** How to run one server of the cluster. */
export interface ProcessSpec {
  /** Prefix of its output lines in the cluster log. */
  name: string
  command: string
  args: string[]
  env?: NodeJS.ProcessEnv
  cwd?: string
  /** Run as this user (PostgreSQL refuses to run as root). */
  uid?: number
  gid?: number
  /** What `kill()` sends by default: PostgreSQL's SIGTERM waits for every client to leave, so it uses SIGINT. */
  stopSignal?: NodeJS.Signals
  /** After this long, a stop that has not ended the process sends SIGKILL. */
  stopTimeoutMs?: number
}

const RECENT_LINES = 40

/**
 * One child process of the cluster, restartable. Each runs in its own process group, so a Ctrl-C in
 * the terminal reaches only `npm run cluster`, which stops the servers in order (nodes before the
 * databases they drain into), and a stop can signal the whole group (PostgreSQL's backends, anything a
 * node forks) rather than one pid.
 */
export class ManagedProcess {
  private child: ChildProcess | undefined
  private exit: Promise<void> = Promise.resolve()
  private recent: string[] = []
  private listeners = new Set<(line: string) => void>()

  constructor(
    readonly spec: ProcessSpec,
    private readonly log: (line: string) => void,
  ) {}

  pid(): number | undefined {
    return this.child?.pid
  }

  running(): boolean {
    return this.child !== undefined
  }

  /** The last lines it printed, for an error message. */
  tail(): string {
    return this.recent.join('\n')
  }

  /** Starts it; `kill()` first if it runs. */
  spawn(): void {
    if (this.child) throw new Error(`${this.spec.name} is already running (pid ${this.child.pid})`)
    const child = spawn(this.spec.command, this.spec.args, {
      cwd: this.spec.cwd,
      env: this.spec.env,
      uid: this.spec.uid,
      gid: this.spec.gid,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.child = child
    this.recent = []
    const onData = (buffered: { text: string }) => (chunk: Buffer) => {
      buffered.text += chunk.toString()
      const lines = buffered.text.split('\n')
      buffered.text = lines.pop() ?? ''
      for (const line of lines) this.line(line)
    }
    child.stdout?.on('data', onData({ text: '' }))
    child.stderr?.on('data', onData({ text: '' }))
    this.exit = new Promise<void>((resolve) => {
      child.once('error', (error) => {
        this.line(`could not start ${this.spec.command}: ${error.message}`)
        if (this.child === child) this.child = undefined
        resolve()
      })
      child.once('exit', (code, signal) => {
        this.line(`exited (${signal ?? `code ${code}`})`)
        if (this.child === child) this.child = undefined
        resolve()
      })
    })
  }

  private line(line: string): void {
    this.recent.push(line)
    if (this.recent.length > RECENT_LINES) this.recent.shift()
    this.log(`${this.spec.name} | ${line}`)
    for (const listener of this.listeners) listener(line)
  }

  /**
   * Resolves when it prints a line matching `pattern` (counting the recent lines since it started);
   * rejects if it exits first or after `timeoutMs`.
   */
  async waitForLine(pattern: RegExp, timeoutMs: number): Promise<void> {
    let seen = this.recent.some((line) => pattern.test(line))
    const listener = (line: string) => {
      if (pattern.test(line)) seen = true
    }
    this.listeners.add(listener)
    try {
      await this.waitUntil(async () => seen, timeoutMs, `a line matching ${pattern}`)
    } finally {
      this.listeners.delete(listener)
    }
  }

  /** Polls `check` until true; rejects with its recent output if it exits or `timeoutMs` passes. */
  async waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      if (!this.child) throw new Error(`${this.spec.name} exited while waiting for ${what}:\n${this.tail()}`)
      if (await check().catch(() => false)) return
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    throw new Error(`${this.spec.name}: no ${what} after ${timeoutMs} ms:\n${this.tail()}`)
  }

  /**
   * Signals it and waits for it to exit (SIGKILL to its group after `stopTimeoutMs`). A SIGKILL takes
   * its descendants too, found before it dies: PostgreSQL's backends each make themselves a session
   * leader (so a group signal misses them) and outlive a SIGKILLed postmaster for a moment, holding
   * its shared memory, so a new postmaster started at once would refuse to run.
   */
  async kill(signal: NodeJS.Signals = this.spec.stopSignal ?? 'SIGTERM'): Promise<void> {
    const child = this.child
    if (!child?.pid) return this.exit
    const pid = child.pid
    // A stop request goes to the leader alone (PostgreSQL's backends read SIGINT as "cancel the query");
    // SIGKILL takes the whole group and every descendant.
    const family = signal === 'SIGKILL' ? descendants(pid) : []
    if (signal === 'SIGKILL') {
      signalGroup(pid, signal)
      for (const member of family) signalOne(member, signal)
    } else signalOne(pid, signal)
    const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), this.spec.stopTimeoutMs ?? 20_000)
    await this.exit
    clearTimeout(timer)
    // Whatever the leader left behind.
    signalGroup(pid, 'SIGKILL')
    await groupGone(pid, 5000)
    await allGone(family, 5000)
  }

  /** For process exit handlers: SIGKILL the group now, without waiting. */
  killNow(): void {
    if (this.child?.pid) signalGroup(this.child.pid, 'SIGKILL')
  }
}

/** Waits until no process of the group is left (a zombie nobody reaps counts: hence the bound). */
async function groupGone(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    try {
      process.kill(-pid, 0)
    } catch {
      return
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** The processes below `pid` (children, their children, …), from /proc; empty where there is none. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>()
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return []
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    const parent = parentOf(Number(entry))
    if (parent === undefined) continue
    const siblings = children.get(parent)
    if (siblings) siblings.push(Number(entry))
    else children.set(parent, [Number(entry)])
  }
  const found: number[] = []
  const queue = [pid]
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child)
      queue.push(child)
    }
  }
  return found
}

/** The parent pid in /proc/PID/stat (the field after the state, which follows the parenthesised name). */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[1])
  } catch {
    return undefined
  }
}

/** Whether `pid` has ended: gone, or a zombie (which holds no memory; its new parent reaps it). */
function ended(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')
  } catch {
    return true
  }
}

/** Waits until every one of `pids` has ended, for at most `timeoutMs`. */
async function allGone(pids: readonly number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline && !pids.every(ended)) {
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  signalOne(-pid, signal)
}

function signalOne(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch {
    // Gone already.
  }
}
