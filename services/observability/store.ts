import { deleteInBatches } from '../db/batched-delete.ts'
import type { Sql } from '../db/database.ts'
import { GAUGES, type MetricKind } from './catalog.ts'
import type { MinuteRow } from './recorder.ts'

const GAUGE_LIST = GAUGES.map((g) => `'${g}'`).join(', ')

/** One aggregated cell of a series query: a step's start, the grouped label values, the value. */
export interface SeriesCell {
  /** Step start, epoch seconds. */
  t: number
  groups: (string | null)[]
  value: number
}

/** How the rows of one stored metric fold: across nodes within a minute, then across a step's minutes. */
const FOLD: Record<MetricKind, { nodes: 'sum' | 'max'; minutes: 'sum' | 'max' }> = {
  counter: { nodes: 'sum', minutes: 'sum' },
  quantile: { nodes: 'sum', minutes: 'sum' },
  'node-gauge': { nodes: 'sum', minutes: 'max' },
  'cluster-gauge': { nodes: 'max', minutes: 'max' },
}

/** Label names come from the catalog, never from a request as such: still, only plain names go in SQL. */
function labelColumn(name: string): string {
  if (!/^[a-z_]+$/.test(name)) throw new Error(`not a label name: ${name}`)
  return `(labels::jsonb ->> '${name}')`
}

/** SQL over `metrics_minutes` and `nodes`. */
export class ObservabilityStore {
  constructor(private readonly db: Sql) {}

  /**
   * Upserts this node's rows in one statement: counters add to what an earlier flush stored for the
   * same minute, sampled gauges replace it.
   */
  async writeMinutes(nodeId: string, rows: readonly MinuteRow[]): Promise<void> {
    if (rows.length === 0) return
    await this.db.query(
      `INSERT INTO metrics_minutes (minute, metric, labels, node_id, value)
       SELECT to_timestamp(u.m / 1000.0), u.metric, u.labels, $1, u.value
       FROM unnest($2::float8[], $3::text[], $4::text[], $5::float8[]) AS u(m, metric, labels, value)
       ON CONFLICT (minute, metric, labels, node_id) DO UPDATE SET value =
         CASE WHEN EXCLUDED.metric IN (${GAUGE_LIST}) THEN EXCLUDED.value
              ELSE metrics_minutes.value + EXCLUDED.value END`,
      [
        nodeId,
        rows.map((r) => r.minute),
        rows.map((r) => r.metric),
        rows.map((r) => r.labels),
        rows.map((r) => r.value),
      ],
    )
  }

  /**
   * `metric`'s rows in [from, to), folded across nodes and label sets not grouped by, then into steps
   * of `stepSeconds` aligned to the epoch.
   */
  async series(query: {
    metric: string
    kind: MetricKind
    groupBy: readonly string[]
    from: Date
    to: Date
    stepSeconds: number
  }): Promise<SeriesCell[]> {
    const fold = FOLD[query.kind]
    const groups = query.groupBy.map((name, i) => `${labelColumn(name)} AS g${i}`)
    const names = query.groupBy.map((_, i) => `g${i}`)
    const rows = await this.db.query<Record<string, unknown> & { t: number; value: number }>(
      `WITH per_minute AS (
         SELECT minute, labels, ${fold.nodes}(value) AS value FROM metrics_minutes
         WHERE metric = $1 AND minute >= $2 AND minute < $3
         GROUP BY minute, labels
       ), grouped AS (
         SELECT minute${groups.map((g) => `, ${g}`).join('')}, sum(value) AS value
         FROM per_minute GROUP BY minute${names.map((n) => `, ${n}`).join('')}
       )
       SELECT (floor(extract(epoch FROM minute) / $4) * $4)::float8 AS t${names.map((n) => `, ${n}`).join('')},
              ${fold.minutes}(value)::float8 AS value
       FROM grouped GROUP BY 1${names.map((_, i) => `, ${i + 2}`).join('')}
       ORDER BY 1`,
      [query.metric, query.from, query.to, query.stepSeconds],
    )
    return rows.map((r) => ({
      t: Number(r.t),
      groups: names.map((n) => (r[n] ?? null) as string | null),
      value: Number(r.value),
    }))
  }

  /** Counter totals per label value over [from, to), for `metrics` grouped by `label`. */
  async totals(
    metrics: readonly string[],
    label: string,
    from: Date,
    to: Date,
  ): Promise<Array<{ metric: string; name: string; value: number }>> {
    const rows = await this.db.query<{ metric: string; name: string | null; value: number }>(
      `SELECT metric, ${labelColumn(label)} AS name, sum(value)::float8 AS value FROM metrics_minutes
       WHERE metric = ANY($1::text[]) AND minute >= $2 AND minute < $3
       GROUP BY 1, 2`,
      [metrics, from, to],
    )
    return rows.map((r) => ({ metric: r.metric, name: r.name ?? '', value: Number(r.value) }))
  }

  /** Deletes minutes older than `retentionDays`, and nodes unseen for a day (they crashed). */
  async prune(retentionDays: number): Promise<Record<string, number>> {
    const minutes = await deleteInBatches(
      this.db,
      `DELETE FROM metrics_minutes WHERE ctid IN (
         SELECT ctid FROM metrics_minutes WHERE minute < now() - make_interval(days => $1::int) LIMIT 5000)`,
      [retentionDays],
      5000,
    )
    const [gone] = await this.db.query<{ n: number }>(
      `WITH gone AS (DELETE FROM nodes WHERE last_seen_at < now() - interval '1 day' RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
    )
    return { metricsMinutes: minutes, nodes: gone?.n ?? 0 }
  }
}
