import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { lastResultLine, RESULTS_FILE, recordResult } from './results.ts'

// `npm run bench -- NAME [NAME…]` runs those benchmarks; with no name, all of them in turn. Each runs in
// its own process, so one benchmark's servers and heap never skew the next. A bench that succeeds has
// its result line recorded in bench-results/latest.json (see results.ts), from which `npm run docs`
// builds the table in docs/benchmarks.md.
const dir = import.meta.dirname
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.slice(0, -'.bench.ts'.length))
  .sort()
const asked = process.argv.slice(2).filter((a) => a !== '--')
const unknown = asked.filter((name) => !available.includes(name))
if (unknown.length) {
  process.stderr.write(`Unknown benchmark ${unknown.join(', ')}. Available: ${available.join(', ')}\n`)
  process.exit(2)
}

/** Runs one bench, passing its output through as it comes, and returns its exit code and stdout. */
function runBench(name: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(dir, `${name}.bench.ts`)], {
      stdio: ['inherit', 'pipe', 'inherit'],
    })
    let stdout = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk
      process.stdout.write(chunk)
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout }))
  })
}

let failed = 0
for (const name of asked.length ? asked : available) {
  process.stderr.write(`bench ${name}\n`)
  const { code, stdout } = await runBench(name)
  const result = code === 0 ? lastResultLine(stdout) : undefined
  if (result) {
    recordResult(result)
    process.stderr.write(`  recorded in ${path.relative(process.cwd(), RESULTS_FILE)}\n`)
  } else {
    failed++
    if (code === 0) process.stderr.write(`  ${name} printed no result line\n`)
  }
}
process.exit(failed ? 1 : 0)
