import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { readResults, readSummary } from '../test/bench/results.ts'
import { withBenchTable, withSummaryTable } from './bench-docs.ts'

// `npx tsx scripts/bench-table.ts` (part of `npm run docs`): renders bench-results/latest.json (written
// by `npm run bench`) as the table between the markers in docs/benchmarks.md, and
// bench-results/summary.json (the last run of every bench) as the summary between its markers; the
// prose around the markers is edited by hand.
const file = path.resolve(import.meta.dirname, '../docs/benchmarks.md')
writeFileSync(
  file,
  withSummaryTable(withBenchTable(readFileSync(file, 'utf8'), readResults()), readSummary()),
)
process.stdout.write('wrote docs/benchmarks.md\n')
