import { useQuery } from '@tanstack/react-query'
import { liveNodes, metricSeries, type SeriesAnswer } from '../../api/observability.ts'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { dateTime, fromNow } from '../../ui/format.ts'
import { Loading } from '../../ui/Loading.tsx'
import { PageHeader } from '../../ui/PageHeader.tsx'
import { type ChartLine, TimeChart } from '../../ui/TimeChart.tsx'
import { HealthPanel } from './HealthPanel.tsx'
import { errorRates, linesOf, ratesOf, summarize } from './overview-series.ts'

/** Charts refresh this often: the server rolls metrics up per minute, so faster shows nothing new. */
const REFRESH_MS = 30_000

const HOUR = 3_600_000

function useSeries(metric: string, groupBy?: string) {
  return useQuery({
    queryKey: ['metrics', metric, groupBy ?? ''],
    queryFn: ({ signal }) => metricSeries({ metric, ...(groupBy ? { groupBy } : {}) }, signal),
    refetchInterval: REFRESH_MS,
  })
}

function Chart({
  title,
  lines,
  unit,
  error,
  pending,
  digits,
  window,
}: {
  title: string
  lines: ChartLine[]
  unit: string
  error: unknown
  pending: boolean
  digits?: number
  window: readonly [number, number]
}) {
  if (error) return <ErrorNotice error={error} title={title} />
  if (pending) return <Loading label={`Loading ${title.toLowerCase()}…`} />
  return (
    <TimeChart
      title={title}
      lines={lines}
      unit={unit}
      summary={summarize(lines, unit, digits)}
      window={window}
    />
  )
}

function Nodes() {
  const nodes = useQuery({
    queryKey: ['nodes'],
    queryFn: ({ signal }) => liveNodes(signal),
    refetchInterval: 15_000,
  })
  if (nodes.error) return <ErrorNotice error={nodes.error} title="Nodes" />
  if (!nodes.data) return <Loading label="Loading nodes…" />
  return (
    <section className="panel" aria-labelledby="nodes-title">
      <h2 id="nodes-title">Nodes</h2>
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Node</th>
            <th scope="col">Role</th>
            <th scope="col">Version</th>
            <th scope="col">Up since</th>
            <th scope="col">Last seen</th>
          </tr>
        </thead>
        <tbody>
          {nodes.data.map((node) => (
            <tr key={node.id}>
              <td>
                <code>{node.id}</code>
              </td>
              <td>{node.role}</td>
              <td>{node.version}</td>
              <td title={dateTime(node.startedAt)}>{fromNow(node.startedAt)}</td>
              <td title={dateTime(node.lastSeenAt)}>{fromNow(node.lastSeenAt)}</td>
            </tr>
          ))}
          {nodes.data.length === 0 && (
            <tr>
              <td colSpan={5} className="muted">
                No node has reported in the last minutes.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  )
}

/** One chart of the Overview: which metric, grouped how, and how its answer becomes lines. */
interface ChartSpec {
  title: string
  metric: string
  groupBy?: string
  unit: string
  digits?: number
  lines: (answer: SeriesAnswer | undefined) => ChartLine[]
}

const CHARTS: readonly ChartSpec[] = [
  {
    title: 'Requests per second by service',
    metric: 'requests',
    groupBy: 'service',
    unit: '/s',
    digits: 2,
    lines: (a) => ratesOf(a, 'service'),
  },
  { title: 'Error rate', metric: 'requests', groupBy: 'status', unit: '%', lines: errorRates },
  {
    title: 'p95 latency by service',
    metric: 'latency_p95',
    groupBy: 'service',
    unit: 'ms',
    lines: (a) => linesOf(a, 'service'),
  },
  {
    title: 'Function executions per minute',
    metric: 'function_executions',
    groupBy: 'status',
    unit: '',
    digits: 0,
    lines: (a) => linesOf(a, 'status'),
  },
  {
    title: 'Outbox lag',
    metric: 'outbox_lag_seconds',
    unit: 's',
    lines: (a) => linesOf(a, undefined, 'lag'),
  },
  {
    title: 'Queue depth',
    metric: 'queue_depth',
    groupBy: 'queue',
    unit: '',
    digits: 0,
    lines: (a) => linesOf(a, 'queue'),
  },
]

function SeriesChart({ spec, window }: { spec: ChartSpec; window: readonly [number, number] }) {
  const series = useSeries(spec.metric, spec.groupBy)
  return (
    <Chart
      title={spec.title}
      lines={spec.lines(series.data)}
      unit={spec.unit}
      {...(spec.digits === undefined ? {} : { digits: spec.digits })}
      error={series.error}
      pending={series.isPending}
      window={window}
    />
  )
}

/** Dependencies' readiness, the cluster's nodes, and the last hour's charts from the server's rollups. */
export function OverviewPage() {
  // The hour the charts cover ends at the newest answer (they all refresh together, every REFRESH_MS).
  const first = useSeries(CHARTS[0]!.metric, CHARTS[0]!.groupBy)
  const to = first.dataUpdatedAt || Date.now()
  const window = [to - HOUR, to] as const

  return (
    <>
      <PageHeader
        title="Overview"
        description="Readiness, nodes and the last hour, per minute, summed across nodes."
      />
      <div className="overview-top">
        <HealthPanel />
        <Nodes />
      </div>
      <section className="chart-grid" aria-label="Last hour">
        {CHARTS.map((spec) => (
          <SeriesChart key={spec.title} spec={spec} window={window} />
        ))}
      </section>
    </>
  )
}
