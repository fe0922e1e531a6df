import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { listVersions, rollbackFunction } from '../../api/functions.ts'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { bytes, dateTime, fromNow } from '../../ui/format.ts'
import { Loading } from '../../ui/Loading.tsx'
import { triggerSummary } from './draft.ts'
import { keys } from './queries.ts'
import { defaultPair, VersionDiff } from './VersionDiff.tsx'

/** Every version of a function, newest first, with a diff between any two and rollback to any one. */
export function VersionsPanel({ name, canWrite }: { name: string; canWrite: boolean }) {
  const client = useQueryClient()
  const versions = useQuery({
    queryKey: keys.versions(name),
    queryFn: ({ signal }) => listVersions(name, signal),
  })
  const [pair, setPair] = useState<{ from: number | undefined; to: number | undefined } | null>(null)
  const [confirming, setConfirming] = useState<number | null>(null)
  const rollback = useMutation({
    mutationFn: (version: number) => rollbackFunction(name, version),
    onSuccess: async () => {
      setConfirming(null)
      setPair(null)
      await client.invalidateQueries({ queryKey: keys.all })
    },
  })

  if (versions.error) return <ErrorNotice error={versions.error} title="Versions" />
  if (!versions.data) return <Loading label="Loading versions…" />
  const list = versions.data
  const chosen = pair ?? { from: undefined, to: undefined, ...defaultPair(list) }

  return (
    <>
      <section className="panel" aria-labelledby="versions-title">
        <h2 id="versions-title">Versions</h2>
        <p className="muted small">
          Each deploy is an immutable version; rolling back makes an older one live again, at once, on every
          node.
        </p>
        <ErrorNotice error={rollback.error} title="Rollback" />
        {rollback.isSuccess && (
          <p className="notice notice-ok" role="status">
            Version {rollback.data.version} is live again.
          </p>
        )}
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Deployed</th>
              <th scope="col">By</th>
              <th scope="col">Size</th>
              <th scope="col">Triggers</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((v) => (
              <tr key={v.version} aria-current={v.live ? 'true' : undefined}>
                <td>
                  v{v.version} {v.live && <span className="badge badge-ok">live</span>}
                </td>
                <td title={dateTime(v.createdAt)}>{fromNow(v.createdAt)}</td>
                <td>{v.deployedBy ?? '—'}</td>
                <td>{v.codeSize === undefined ? '—' : bytes(v.codeSize)}</td>
                <td>{v.triggers.map(triggerSummary).join(', ') || '—'}</td>
                <td className="row-actions">
                  {!v.live && canWrite && confirming !== v.version && (
                    <button type="button" onClick={() => setConfirming(v.version)}>
                      Roll back to v{v.version}
                    </button>
                  )}
                  {confirming === v.version && (
                    <span className="confirm">
                      <span>Make v{v.version} live?</span>
                      <button
                        type="button"
                        className="primary"
                        disabled={rollback.isPending}
                        onClick={() => rollback.mutate(v.version)}
                      >
                        Confirm rollback
                      </button>
                      <button type="button" onClick={() => setConfirming(null)}>
                        Cancel
                      </button>
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {!canWrite && <p className="muted small">Rolling back needs a developer or owner.</p>}
      </section>
      <VersionDiff name={name} versions={list} from={chosen.from} to={chosen.to} onSelect={setPair} />
    </>
  )
}
