import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { deploy, FUNCTIONS_TEST_ENV } from '../functions/helpers.ts'
import { LANES, usePlatform } from '../support/platform.ts'

// `promtool check metrics` (Debian package `prometheus`) lints the exposition format. Without it the
// check is skipped, unless REQUIRE_PROMTOOL=1 (CI sets it), where a missing promtool fails.
const PROMTOOL = '/usr/bin/promtool'
const REQUIRE_PROMTOOL = process.env.REQUIRE_PROMTOOL === '1'
const RUN_PROMTOOL = existsSync(PROMTOOL) || REQUIRE_PROMTOOL
if (!RUN_PROMTOOL) {
  console.warn(
    `promtool check skipped: ${PROMTOOL} is missing (apt-get install -y prometheus; REQUIRE_PROMTOOL=1 makes this a failure)`,
  )
}

const DASHBOARD = path.resolve(import.meta.dirname, '../../infra/grafana/stratus.json')

/** Every `stratus_…` metric name the dashboard's queries and variables use. */
function dashboardMetrics(): string[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    panels: Array<{ targets?: Array<{ expr: string }> }>
    templating: { list: Array<{ query?: unknown }> }
  }
  const queries = [
    ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
    ...dashboard.templating.list.map((v) => v.query).filter((q): q is string => typeof q === 'string'),
  ]
  return [...new Set(queries.flatMap((q) => q.match(/\bstratus_[a-z0-9_]+/g) ?? []))].sort()
}

/** Whether `name` is a series of the exposition: a metric's own name, or a histogram's/summary's part. */
function exposes(text: string, name: string): boolean {
  const types = new Map<string, string>()
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(match[1]!, match[2]!)
  if (types.has(name)) return true
  const part = /^(.*)_(bucket|sum|count)$/.exec(name)
  if (!part) return false
  const type = types.get(part[1]!)
  return part[2] === 'bucket' ? type === 'histogram' : type === 'histogram' || type === 'summary'
}

describe.each(LANES)('Prometheus /metrics (%s)', (lane) => {
  const t = usePlatform(lane, FUNCTIONS_TEST_ENV)

  /** /metrics after some traffic, so labelled series have samples. */
  async function scrape(): Promise<string> {
    await deploy(t, 'scraped', {
      code: 'export default async () => 1',
      triggers: [{ type: 'http', public: true }],
    })
    expect((await request(t.url).post('/functions/v1/scraped')).status).toBe(200)
    expect((await request(t.url).get('/db/v1/collections/x/documents/y')).status).toBeGreaterThanOrEqual(400)
    const res = await request(t.url).get('/metrics')
    expect(res.status).toBe(200)
    return res.text
  }

  it.skipIf(!RUN_PROMTOOL)('passes promtool check metrics', async () => {
    const text = await scrape()
    const run = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' })
    expect(run.error).toBeUndefined()
    expect(`${run.stdout}${run.stderr}`.trim()).toBe('')
    expect(run.status).toBe(0)
  })

  it('serves every metric the Grafana dashboard queries', async () => {
    const text = await scrape()
    const names = dashboardMetrics()
    expect(names.length).toBeGreaterThan(10)
    expect(names.filter((name) => !exposes(text, name))).toEqual([])
  })
})
