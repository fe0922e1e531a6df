import type { Sql } from '../db/database.ts'

/** A live node as `GET /admin/v1/nodes` lists it. */
export interface NodeView {
  id: string
  role: string
  version: string
  startedAt: string
  lastSeenAt: string
}

/**
 * This process's row in `nodes`. Times come from the database's clock, so liveness (last heartbeat
 * within two of the node's own intervals) holds whatever the nodes' clocks say.
 */
export class NodeRegistry {
  constructor(
    private readonly db: Sql,
    private readonly node: { id: string; role: string; version: string; heartbeatMs: number },
  ) {}

  /** Registers (or, after housekeeping removed a stalled node's row, re-registers) and heartbeats. */
  async heartbeat(): Promise<void> {
    const { id, role, version, heartbeatMs } = this.node
    await this.db.query(
      `INSERT INTO nodes (id, role, version, started_at, last_seen_at, heartbeat_ms)
       VALUES ($1, $2, $3, now(), now(), $4)
       ON CONFLICT (id) DO UPDATE SET last_seen_at = now()`,
      [id, role, version, heartbeatMs],
    )
  }

  /** A clean close: the node leaves the list at once. */
  async remove(): Promise<void> {
    await this.db.query('DELETE FROM nodes WHERE id = $1', [this.node.id])
  }

  /** Nodes whose last heartbeat is within two of their intervals, oldest first. */
  async live(): Promise<NodeView[]> {
    const rows = await this.db.query<{
      id: string
      role: string
      version: string
      started_at: Date
      last_seen_at: Date
    }>(
      `SELECT id, role, version, started_at, last_seen_at FROM nodes
       WHERE last_seen_at >= now() - make_interval(secs => heartbeat_ms * 2 / 1000.0)
       ORDER BY started_at, id`,
    )
    return rows.map((r) => ({
      id: r.id,
      role: r.role,
      version: r.version,
      startedAt: new Date(r.started_at).toISOString(),
      lastSeenAt: new Date(r.last_seen_at).toISOString(),
    }))
  }
}
