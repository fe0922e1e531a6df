import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const ROOT = path.resolve(import.meta.dirname, '../..')
const BIN = path.join(ROOT, 'bin/stratus.mjs')

/** What one `stratus` run printed and how it exited. */
export interface CliResult {
  status: number | null
  stdout: string
  stderr: string
}

function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = { ...process.env }
  // The tests pass the key they mean: never one from the developer's shell.
  delete base.STRATUS_SERVICE_KEY
  return { ...base, LOG_LEVEL: 'silent', ...env }
}

/**
 * Runs `stratus <args>` as a child process, asynchronously: the server under test runs in this process,
 * so a synchronous spawn would block it from answering the CLI.
 */
export function stratus(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      env: childEnv(options.env ?? {}),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (c) => (stdout += c))
    child.stderr!.on('data', (c) => (stderr += c))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000)
    child.once('error', reject)
    child.once('close', (status) => {
      clearTimeout(timer)
      resolve({ status, stdout, stderr })
    })
  })
}

/** A long-running `stratus` (dev): its output so far, and how to stop it. */
export interface CliProcess {
  child: ChildProcess
  output: () => string
  stop: () => Promise<number | null>
}

export function startStratus(
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: childEnv(options.env ?? {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.on('data', (c) => (out += c))
  child.stderr!.on('data', (c) => (out += c))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return {
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGINT')
      return exited
    },
  }
}

/** A temporary directory removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

export { ROOT }
