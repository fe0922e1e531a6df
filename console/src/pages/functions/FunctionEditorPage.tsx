import { Link, useNavigate, useParams, useSearch } from '@tanstack/react-router'
import { useEffect, useMemo, useRef, useState } from 'react'
import type { DeployInput, FunctionDetail } from '../../api/functions.ts'
import { ApiError } from '../../api/http.ts'
import { canWrite } from '../../api/session.ts'
import { useAdmin } from '../../app/session.tsx'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { dateTime, fromNow } from '../../ui/format.ts'
import { Loading } from '../../ui/Loading.tsx'
import { DriftNotice, ManagedBadge, useResourceState } from '../../ui/Managed.tsx'
import { PageHeader } from '../../ui/PageHeader.tsx'
import { Tabs } from '../../ui/Tabs.tsx'
import { CodePane } from './CodePane.tsx'
import { ConfigSections } from './ConfigSections.tsx'
import { DeletePanel } from './DeletePanel.tsx'
import { draftChanged, draftFromVersion, type FunctionDraft, triggerSummary } from './draft.ts'
import { ExecutionsPanel } from './ExecutionsPanel.tsx'
import { InvokePanel } from './InvokePanel.tsx'
import { problemPlaces, ReadOnlyNote, saveShortcut } from './page-parts.tsx'
import { useEventTypes, useFunctionDetail, useSchedules } from './queries.ts'
import type { FunctionTab } from './search.ts'
import { useDeploy } from './use-deploy.ts'
import { VersionsPanel } from './VersionsPanel.tsx'
import './functions.css'

const TABS: readonly { key: FunctionTab; label: string }[] = [
  { key: 'code', label: 'Code' },
  { key: 'configuration', label: 'Configuration' },
  { key: 'versions', label: 'Versions' },
  { key: 'executions', label: 'Executions' },
]

export { NewFunctionPage } from './NewFunctionPage.tsx'

/**
 * The values of hidden variables as this admin deployed them, filled in while that version is live, so
 * the next deploy need not ask for them again (never into another version: its values may differ).
 */
function withRemembered(
  draft: FunctionDraft,
  version: number,
  remembered: { version: number; env: Record<string, string> } | undefined,
): FunctionDraft {
  if (!remembered || remembered.version !== version) return draft
  const sent = remembered.env
  return {
    ...draft,
    env: draft.env.map((row) =>
      row.hidden && Object.hasOwn(sent, row.name) ? { ...row, value: sent[row.name]!, hidden: false } : row,
    ),
  }
}

function liveConfig(detail: FunctionDetail) {
  return detail.versions.find((v) => v.version === detail.version)
}

/** A deployed function: code and Invoke, configuration, versions, executions; Deploy applies the draft. */
function FunctionEditor({ detail }: { detail: FunctionDetail }) {
  const admin = useAdmin()
  const writable = canWrite(admin)
  const name = detail.name
  const search = useSearch({ from: '/functions/$name' })
  const navigate = useNavigate({ from: '/functions/$name' })
  const tab = search.tab ?? 'code'
  const eventTypes = useEventTypes()
  const schedules = useSchedules()
  const managed = useResourceState('function', name, detail.version)
  const sent = useRef<{ version: number; env: Record<string, string> } | undefined>(undefined)
  const baseline = useMemo(
    () => withRemembered(draftFromVersion(detail.code, liveConfig(detail)), detail.version, sent.current),
    [detail],
  )
  const [draft, setDraft] = useState<FunctionDraft>(baseline)
  const [loadedVersion, setLoadedVersion] = useState(detail.version)
  const [deployedVersion, setDeployedVersion] = useState<number | null>(null)
  const [loadedBase, setLoadedBase] = useState<FunctionDraft>(baseline)
  const dirty = draftChanged(draft, loadedBase)
  const deploy = useDeploy({
    name,
    draft,
    eventTypes: eventTypes.data,
    checkName: false,
    active: writable,
    onDeployed: (result, input: DeployInput) => {
      sent.current = { version: result.version, env: input.env }
      setDeployedVersion(result.version)
    },
  })

  // The live version changed (this deploy, a rollback, another admin): load it unless edits would be lost.
  useEffect(() => {
    if (detail.version === loadedVersion) return
    if (!dirty || detail.version === deployedVersion) {
      setDraft(baseline)
      setLoadedBase(baseline)
      setLoadedVersion(detail.version)
    }
  }, [detail.version, loadedVersion, dirty, deployedVersion, baseline])

  const change = (next: FunctionDraft) => {
    setDraft(next)
    deploy.edited()
  }
  const selectTab = (key: FunctionTab) =>
    void navigate({ search: (prev) => ({ ...prev, tab: key === 'code' ? undefined : key }), replace: true })
  const places = problemPlaces(deploy.problems)
  const live = liveConfig(detail)
  const ownSchedules = (schedules.data ?? []).filter((s) => s.function === name)
  const hasHttp = (live?.triggers ?? []).some((t) => t.type === 'http')
  const configProblems =
    Object.keys(deploy.problems.triggers).length +
    Object.keys(deploy.problems.env).length +
    Object.keys(deploy.problems.limits).length

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: the shortcut only adds to the Deploy button.
    <div className="function-page" onKeyDown={saveShortcut(() => writable && deploy.deploy())}>
      <PageHeader
        title={name}
        description={
          <>
            <span className="badge badge-ok">live v{detail.version}</span>{' '}
            {managed?.managed && (
              <>
                <ManagedBadge state={managed} />{' '}
              </>
            )}
            {detail.updatedAt && (
              <span title={dateTime(detail.updatedAt)}>updated {fromNow(detail.updatedAt)} · </span>
            )}
            {(live?.triggers ?? []).map(triggerSummary).join(', ') || 'no triggers'}{' '}
            {dirty && <span className="badge badge-pending">unsaved changes</span>}
          </>
        }
        actions={
          <>
            <Link to="/functions" className="button">
              All functions
            </Link>
            {writable && dirty && (
              <button
                type="button"
                onClick={() => {
                  setDraft(loadedBase)
                  deploy.edited()
                }}
              >
                Discard changes
              </button>
            )}
            {writable && (
              <button
                type="button"
                className="primary"
                onClick={() => deploy.deploy()}
                disabled={deploy.mutation.isPending}
              >
                {deploy.mutation.isPending ? 'Deploying…' : 'Deploy'}
              </button>
            )}
          </>
        }
      />
      {!writable && <ReadOnlyNote what="this function" />}
      <DriftNotice state={managed} />
      {detail.version !== loadedVersion && (
        <div className="notice notice-info" role="status">
          Version {detail.version} is live now; the editor still holds your changes to v{loadedVersion}.{' '}
          <button
            type="button"
            onClick={() => {
              setDraft(baseline)
              setLoadedBase(baseline)
              setLoadedVersion(detail.version)
            }}
          >
            Load v{detail.version}
          </button>
        </div>
      )}
      {deploy.blocked && places.length > 0 && (
        <div className="notice notice-error" role="alert">
          Nothing was deployed: fix {places.join(', ')} first.{' '}
          {tab !== 'configuration' && configProblems > 0 && (
            <button type="button" onClick={() => selectTab('configuration')}>
              Show configuration
            </button>
          )}
        </div>
      )}
      <ErrorNotice error={deploy.mutation.error} title="Deploy refused" />
      {deploy.mutation.isSuccess && deploy.mutation.data.version === detail.version && (
        <p className="notice notice-ok" role="status">
          Deployed version {deploy.mutation.data.version}: it is live on every node.
        </p>
      )}
      <Tabs
        tabs={TABS.map((t) =>
          t.key === 'configuration' && configProblems > 0
            ? { ...t, label: `Configuration (${configProblems} to fix)` }
            : t,
        )}
        selected={tab}
        onSelect={selectTab}
        label="Function"
      >
        {tab === 'code' && (
          <div className="code-layout">
            <CodePane
              code={draft.code}
              onChange={(code) => change({ ...draft, code })}
              problems={deploy.codeProblems}
              readOnly={!writable}
              missing={deploy.problems.code}
            />
            <InvokePanel
              name={name}
              liveVersion={detail.version}
              hasHttpTrigger={hasHttp}
              canInvoke={writable}
              unsaved={dirty}
            />
          </div>
        )}
        {tab === 'configuration' && (
          <>
            <ConfigSections
              draft={draft}
              onChange={change}
              problems={deploy.problems}
              envProblem={deploy.envProblem}
              eventTypes={eventTypes.data}
              eventTypesError={eventTypes.error}
              schedules={ownSchedules}
              readOnly={!writable}
            />
            {writable && <DeletePanel name={name} />}
          </>
        )}
        {tab === 'versions' && <VersionsPanel name={name} canWrite={writable} />}
        {tab === 'executions' && (
          <ExecutionsPanel
            name={name}
            filters={{ status: search.status, trigger: search.trigger, from: search.from, to: search.to }}
            opened={search.execution}
            onFilters={(filters) =>
              void navigate({
                search: (prev) => ({ tab: prev.tab, execution: undefined, ...filters }),
                replace: true,
              })
            }
            onOpen={(id) => void navigate({ search: (prev) => ({ ...prev, execution: id }), replace: true })}
            canWrite={writable}
          />
        )}
      </Tabs>
    </div>
  )
}

/** `/console/functions/$name`. */
export function FunctionEditorPage() {
  const { name } = useParams({ from: '/functions/$name' })
  const detail = useFunctionDetail(name)
  if (detail.error) {
    const missing = detail.error instanceof ApiError && detail.error.status === 404
    return (
      <>
        <PageHeader title={name} />
        {missing ? (
          <p className="notice notice-info">
            There is no function named <code>{name}</code>. <Link to="/functions/new">Create one</Link> or go
            back to <Link to="/functions">all functions</Link>.
          </p>
        ) : (
          <ErrorNotice error={detail.error} title="Function" />
        )}
      </>
    )
  }
  if (!detail.data) return <Loading label={`Loading ${name}…`} />
  return <FunctionEditor key={name} detail={detail.data} />
}
