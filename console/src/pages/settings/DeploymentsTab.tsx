import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { type DeploymentChange, listDeployments } from '../../api/deployments.ts'
import { CursorPager, useCursorPages } from '../../ui/CursorPager.tsx'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { dateTime, fromNow } from '../../ui/format.ts'
import { Loading } from '../../ui/Loading.tsx'

const PAGE_SIZE = 25

/** `create function resize`, one per line: the plan a deployment applied, for the row's tooltip. */
function changeLines(changes: DeploymentChange[]): string {
  return changes.map((c) => `${c.action} ${c.kind} ${c.name}${c.from ? ` (from ${c.from})` : ''}`).join('\n')
}

/** `service`, an email, or `API key 1a2b…` for `apikey:<id>`. */
function deployer(deployedBy: string): string {
  return deployedBy.startsWith('apikey:') ? `API key ${deployedBy.slice('apikey:'.length)}` : deployedBy
}

/** The app-as-code deployments, newest first, a page at a time. */
export function DeploymentsTab() {
  const pages = useCursorPages()
  const { cursor } = pages
  const deployments = useQuery({
    queryKey: ['deployments', 'list', cursor],
    queryFn: ({ signal }) => listDeployments({ limit: PAGE_SIZE, cursor }, signal),
    placeholderData: keepPreviousData,
  })

  return (
    <section className="panel" aria-labelledby="deployments-title">
      <div className="panel-head">
        <h2 id="deployments-title">Deployments</h2>
        <button type="button" onClick={() => void deployments.refetch()} disabled={deployments.isFetching}>
          {deployments.isFetching ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      <p className="muted">
        Every <code>stratus deploy</code> of <code>stratus.yaml</code> (and every rollback). The resources a
        deployment applied are marked “Managed by stratus.yaml” on their pages.
      </p>
      {deployments.error ? (
        <ErrorNotice error={deployments.error} title="Deployments" />
      ) : !deployments.data ? (
        <Loading label="Loading the deployments…" />
      ) : (
        <>
          <table className="table" aria-busy={deployments.isFetching}>
            <caption className="visually-hidden">Deployments, page {pages.page}, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Deployment</th>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col" className="numeric">
                  Changes
                </th>
                <th scope="col">Manifest hash</th>
              </tr>
            </thead>
            <tbody>
              {deployments.data.deployments.map((d) => (
                <tr key={d.id}>
                  <th scope="row" className="mono">
                    {d.id}
                    {d.rollbackOf && (
                      <>
                        {' '}
                        <span className="badge" title={`Applied deployment ${d.rollbackOf} again`}>
                          rollback of {d.rollbackOf}
                        </span>
                      </>
                    )}
                  </th>
                  <td title={dateTime(d.createdAt)}>{fromNow(d.createdAt)}</td>
                  <td>{deployer(d.deployedBy)}</td>
                  <td className="numeric" title={changeLines(d.changes) || 'nothing to change'}>
                    {d.changes.length}
                  </td>
                  <td className="mono" title={d.hash}>
                    {d.hash.slice(0, 12)}
                  </td>
                </tr>
              ))}
              {deployments.data.deployments.length === 0 && (
                <tr>
                  <td colSpan={5} className="muted">
                    Nothing deployed yet: <code>stratus deploy</code> applies <code>stratus.yaml</code>.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
          <CursorPager label="Deployment pages" pages={pages} nextCursor={deployments.data.nextCursor} />
        </>
      )}
    </section>
  )
}
