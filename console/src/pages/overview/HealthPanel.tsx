import { useCallback, useEffect, useRef, useState } from 'react'
import { type ProbeResult, probe } from './health.ts'

const REFRESH_MS = 10_000

interface Snapshot {
  health: ProbeResult
  ready: ProbeResult
  at: Date
}

function label(result: ProbeResult): string {
  if (result.state === 'unreachable') return 'unreachable'
  return `${result.status ?? (result.state === 'ok' ? 'ok' : 'error')} (HTTP ${result.httpStatus})`
}

function Indicator({ name, result }: { name: string; result: ProbeResult | undefined }) {
  const state = result?.state ?? 'pending'
  return (
    <div className={`indicator indicator-${state}`} data-testid={`probe-${name}`}>
      <span className="dot" aria-hidden="true" />
      <span className="name">{name}</span>
      <span className="value">{result ? label(result) : 'checking…'}</span>
      {result && <span className="ms">{Math.round(result.ms)} ms</span>}
      {result?.error && <span className="error">{result.error}</span>}
    </div>
  )
}

/** Polls `/health` (process up) and `/ready` (database, bus and storage reachable). */
export function HealthPanel() {
  const [snapshot, setSnapshot] = useState<Snapshot | null>(null)
  const [loading, setLoading] = useState(false)
  const inFlight = useRef<AbortController | null>(null)

  const refresh = useCallback(async () => {
    inFlight.current?.abort()
    const controller = new AbortController()
    inFlight.current = controller
    setLoading(true)
    try {
      const [health, ready] = await Promise.all([
        probe('/health', controller.signal),
        probe('/ready', controller.signal),
      ])
      if (!controller.signal.aborted) setSnapshot({ health, ready, at: new Date() })
    } catch {
      // Aborted by a newer refresh or by unmounting: nothing to show.
    } finally {
      if (inFlight.current === controller) {
        inFlight.current = null
        setLoading(false)
      }
    }
  }, [])

  useEffect(() => {
    void refresh()
    const timer = setInterval(() => void refresh(), REFRESH_MS)
    return () => {
      clearInterval(timer)
      inFlight.current?.abort()
    }
  }, [refresh])

  const overall = !snapshot
    ? 'pending'
    : snapshot.health.state === 'ok' && snapshot.ready.state === 'ok'
      ? 'ok'
      : snapshot.health.state === 'ok'
        ? 'degraded'
        : 'down'
  const checks = snapshot?.ready.checks ? Object.entries(snapshot.ready.checks) : []

  return (
    <section className="panel" aria-labelledby="health-title">
      <div className="panel-head">
        <h2 id="health-title">
          Health <span className={`badge badge-${overall}`}>{overall}</span>
        </h2>
        <button type="button" onClick={() => void refresh()} disabled={loading}>
          {loading ? 'Checking…' : 'Refresh'}
        </button>
      </div>
      <Indicator name="/health" result={snapshot?.health} />
      <Indicator name="/ready" result={snapshot?.ready} />
      {checks.length > 0 && (
        <table className="checks">
          <thead>
            <tr>
              <th>dependency</th>
              <th>status</th>
              <th>detail</th>
            </tr>
          </thead>
          <tbody>
            {checks.map(([name, check]) => (
              <tr key={name} className={check.status === 'ok' ? 'ok' : 'down'}>
                <td>{name}</td>
                <td>{check.status}</td>
                <td>{check.error ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="muted">
        {snapshot ? `Last checked ${snapshot.at.toLocaleTimeString()}; ` : ''}refreshes every{' '}
        {REFRESH_MS / 1000} s.
      </p>
    </section>
  )
}
