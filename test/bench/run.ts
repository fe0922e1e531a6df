import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import path from 'node:path'

// `npm run bench -- NAME [NAME…]` runs those benchmarks; with no name, all of them in turn. Each runs in
// its own process, so one benchmark's servers and heap never skew the next.
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
let failed = 0
for (const name of asked.length ? asked : available) {
  process.stderr.write(`bench ${name}\n`)
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(dir, `${name}.bench.ts`)], {
    stdio: 'inherit',
  })
  if (result.status !== 0) failed++
}
process.exit(failed ? 1 : 0)
