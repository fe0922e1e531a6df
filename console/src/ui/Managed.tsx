import { useQuery, useQueryClient } from '@tanstack/react-query'
import { Link } from '@tanstack/react-router'
import { useEffect, useId, useRef } from 'react'
import { liveResources, type ResourceKind, type ResourceState } from '../api/deployments.ts'

/** Every page asks the same question, so they share one answer (it carries the whole live manifest). */
export const LIVE_RESOURCES_KEY = ['deployments', 'live'] as const

/** The managed and drifted state of every resource; empty while loading or when the server refuses. */
export function useLiveResources(): ResourceState[] {
  const live = useQuery({
    queryKey: LIVE_RESOURCES_KEY,
    queryFn: ({ signal }) => liveResources(signal),
    staleTime: 5_000,
    // A badge is a hint: an older server or a refused read leaves it out rather than showing an error.
    retry: false,
  })
  return live.data ?? []
}

/**
 * One resource's state. `revision` is what the page knows of the resource's version (a function's live
 * version, a collection's configuration version): when it moves, the state is asked again, since a change
 * made here is exactly what makes a managed resource drifted.
 */
export function useResourceState(
  kind: ResourceKind,
  name: string,
  revision?: string | number | null,
): ResourceState | undefined {
  const client = useQueryClient()
  const resources = useLiveResources()
  const seen = useRef(revision)
  useEffect(() => {
    if (seen.current === revision) return
    seen.current = revision
    void client.invalidateQueries({ queryKey: LIVE_RESOURCES_KEY })
  }, [revision, client])
  return resources.find((r) => r.kind === kind && r.name === name)
}

/** "Managed by stratus.yaml", and "drifted" beside it when it changed outside a deployment. */
export function ManagedBadge({
  state,
  compact = false,
}: {
  state: ResourceState | undefined
  compact?: boolean
}) {
  if (!state?.managed) return null
  return (
    <>
      <span
        className="badge badge-managed"
        title={`Applied by deployment ${state.deploymentId ?? ''}: declared in stratus.yaml`}
      >
        {compact ? 'managed' : 'Managed by stratus.yaml'}
      </span>
      {state.drifted && (
        <>
          {' '}
          <span className="badge badge-pending" title="Changed outside stratus.yaml since its deployment">
            drifted
          </span>
        </>
      )}
    </>
  )
}

/** The warning a drifted resource carries: the next deploy overwrites the change unless it is pulled. */
export function DriftNotice({
  state,
  subject,
}: {
  state: ResourceState | undefined
  /** What changed, where a page lists several resources ("Queue jobs"); a resource's own page omits it. */
  subject?: string
}) {
  const titleId = useId()
  if (!state?.managed || !state.drifted) return null
  return (
    <div className="notice notice-warn" role="status" aria-labelledby={titleId}>
      <strong id={titleId}>{subject ? `${subject} changed` : 'Changed'} outside stratus.yaml</strong>{' '}
      {state.deploymentId ? (
        <>
          since deployment{' '}
          <Link to="/settings" search={{ tab: 'deployments' }}>
            <code>{state.deploymentId}</code>
          </Link>
        </>
      ) : (
        'since its last deployment'
      )}
      : the next deploy will overwrite this change. Run <code>stratus pull</code> to keep it in the file.
    </div>
  )
}
