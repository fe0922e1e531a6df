import { useQuery } from '@tanstack/react-query'
import { liveNodes, metricSeries } from '../../api/observability.ts'
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

/** Dependencies' readiness, the cluster's nodes, and the last hour's charts from the server's rollups. */
export function OverviewPage() {
  const requests = useSeries('requests', 'service')
  const statuses = useSeries('requests', 'status')
  const p95 = useSeries('latency_p95', 'service')
  const executions = useSeries('function_executions', 'status')
  const lag = useSeries('outbox_lag_seconds')
  const queues = useSeries('queue_depth', 'queue')
  // The hour the charts cover ends at the newest answer (they all refresh together).
  const to = requests.dataUpdatedAt || Date.now()
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
        <Chart
          title="Requests per second by service"
          lines={ratesOf(requests.data, 'service')}
          unit="/s"
          digits={2}
          error={requests.error}
          pending={requests.isPending}
          window={window}
        />
        <Chart
          title="Error rate"
          lines={errorRates(statuses.data)}
          unit="%"
          error={statuses.error}
          pending={statuses.isPending}
          window={window}
        />
        <Chart
          title="p95 latency by service"
          lines={linesOf(p95.data, 'service')}
          unit="ms"
          error={p95.error}
          pending={p95.isPending}
          window={window}
        />
        <Chart
          title="Function executions per minute"
          lines={linesOf(executions.data, 'status')}
          unit=""
          digits={0}
          error={executions.error}
          pending={executions.isPending}
          window={window}
        />
        <Chart
          title="Outbox lag"
          lines={linesOf(lag.data, undefined, 'lag')}
          unit="s"
          error={lag.error}
          pending={lag.isPending}
          window={window}
        />
        <Chart
          title="Queue depth"
          lines={linesOf(queues.data, 'queue')}
          unit=""
          digits={0}
          error={queues.error}
          pending={queues.isPending}
          window={window}
        />
      </section>
    </>
  )
}
