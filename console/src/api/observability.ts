import { api } from './http.ts'

export interface SeriesPoint {
  /** Step start (ms since the epoch). */
  t: number
  v: number
}

export interface Series {
  labels: Record<string, string>
  points: [string, number][]
}

export interface SeriesAnswer {
  metric: string
  step: number
  series: Series[]
}

/** `GET /admin/v1/metrics/series`: per-minute rollups, summed across nodes (default: the last hour). */
export function metricSeries(
  input: { metric: string; groupBy?: string; from?: string; to?: string; step?: number },
  signal?: AbortSignal,
): Promise<SeriesAnswer> {
  return api('GET', '/admin/v1/metrics/series', { query: input, ...(signal ? { signal } : {}) })
}

export interface NodeView {
  id: string
  role: string
  version: string
  startedAt: string
  lastSeenAt: string
}

/** `GET /admin/v1/nodes`: the nodes that sent a heartbeat lately. */
export async function liveNodes(signal?: AbortSignal): Promise<NodeView[]> {
  const { nodes } = await api<{ nodes: NodeView[] }>('GET', '/admin/v1/nodes', signal ? { signal } : {})
  return nodes
}
