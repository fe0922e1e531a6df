import { javascript } from '@codemirror/lang-javascript'
import { MergeView } from '@codemirror/merge'
import { EditorState } from '@codemirror/state'
import { EditorView } from '@codemirror/view'
import { useQuery } from '@tanstack/react-query'
import { basicSetup } from 'codemirror'
import { useEffect, useId, useRef } from 'react'
import { getVersion, type Limits, type VersionDetail, type VersionSummary } from '../../api/functions.ts'
import { cspNonce } from '../../ui/CodeEditor.tsx'
import { consoleEditorTheme } from '../../ui/code-theme.ts'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { Loading } from '../../ui/Loading.tsx'
import { triggerSummary } from './draft.ts'
import { keys } from './queries.ts'

/** What to compare at first: the live version against the one before it (else the two newest). */
export function defaultPair(versions: readonly VersionSummary[]): { from?: number; to?: number } {
  const sorted = [...versions].sort((a, b) => b.version - a.version)
  const to = sorted.find((v) => v.live) ?? sorted[0]
  if (!to) return {}
  const from = sorted.find((v) => v.version < to.version) ?? sorted.find((v) => v.version !== to.version)
  return from ? { from: from.version, to: to.version } : { to: to.version }
}

/** Two versions' code side by side, changes marked, unchanged stretches folded (read-only). */
function CodeMerge({ from, to }: { from: VersionDetail; to: VersionDetail }) {
  const holder = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (!holder.current) return
    const side = (label: string) => [
      cspNonce(),
      consoleEditorTheme,
      basicSetup,
      javascript(),
      EditorState.readOnly.of(true),
      EditorView.editable.of(false),
      EditorView.contentAttributes.of({ 'aria-label': label, tabindex: '0' }),
    ]
    const view = new MergeView({
      a: { doc: from.code, extensions: side(`Code of version ${from.version}`) },
      b: { doc: to.code, extensions: side(`Code of version ${to.version}`) },
      parent: holder.current,
      collapseUnchanged: { margin: 3, minSize: 6 },
      gutter: true,
    })
    return () => view.destroy()
  }, [from, to])
  return (
    <div className="merge">
      <div className="merge-heads" aria-hidden="true">
        <span>Version {from.version}</span>
        <span>Version {to.version}</span>
      </div>
      <div ref={holder} className="merge-view" data-testid="version-diff" />
    </div>
  )
}

const LIMIT_NAMES: Record<keyof Limits, string> = {
  timeoutMs: 'Timeout (ms)',
  memoryMb: 'Memory (MB)',
  concurrency: 'Concurrency',
  retries: 'Retries',
}

/** Names added, removed and changed, when the server did not say (values compared only if shown). */
function envChanges(before: Record<string, string>, after: Record<string, string>) {
  const names = (env: Record<string, string>) => Object.keys(env).sort()
  return {
    added: names(after).filter((n) => !Object.hasOwn(before, n)),
    removed: names(before).filter((n) => !Object.hasOwn(after, n)),
    changed: names(after).filter((n) => Object.hasOwn(before, n) && before[n] !== after[n]),
  }
}

/** Triggers, limits and environment names that differ between two versions. */
function ConfigChanges({ from, to }: { from: VersionDetail; to: VersionDetail }) {
  const before = new Set(from.triggers.map(triggerSummary))
  const after = new Set(to.triggers.map(triggerSummary))
  const added = [...after].filter((t) => !before.has(t))
  const removed = [...before].filter((t) => !after.has(t))
  const limits = (Object.keys(LIMIT_NAMES) as (keyof Limits)[]).filter((k) => from.limits[k] !== to.limits[k])
  const env = to.envChanges ?? envChanges(from.env, to.env)
  const envChanged = env && env.added.length + env.removed.length + env.changed.length > 0
  if (added.length + removed.length + limits.length === 0 && !envChanged)
    return <p className="muted">Triggers, limits and environment are the same.</p>
  return (
    <ul className="config-changes">
      {added.map((t) => (
        <li key={`+${t}`}>
          <span className="badge badge-ok">trigger added</span> {t}
        </li>
      ))}
      {removed.map((t) => (
        <li key={`-${t}`}>
          <span className="badge badge-down">trigger removed</span> {t}
        </li>
      ))}
      {limits.map((k) => (
        <li key={k}>
          <span className="badge">limit</span> {LIMIT_NAMES[k]}: {from.limits[k]} → {to.limits[k]}
        </li>
      ))}
      {env &&
        (
          [
            ['added', env.added],
            ['removed', env.removed],
            ['changed', env.changed],
          ] as const
        ).flatMap(([what, names]) =>
          names.map((n) => (
            <li key={`${what}-${n}`}>
              <span className="badge">env {what}</span> <code>{n}</code>
            </li>
          )),
        )}
    </ul>
  )
}

/** Picks two versions of `name` and shows what changed from the first to the second. */
export function VersionDiff({
  name,
  versions,
  from,
  to,
  onSelect,
}: {
  name: string
  versions: readonly VersionSummary[]
  from: number | undefined
  to: number | undefined
  onSelect: (pair: { from: number | undefined; to: number | undefined }) => void
}) {
  const id = useId()
  const same = from !== undefined && from === to
  const ready = from !== undefined && to !== undefined && !same
  const left = useQuery({
    queryKey: keys.version(name, from ?? 0),
    queryFn: ({ signal }) => getVersion(name, from!, undefined, signal),
    enabled: ready,
  })
  const right = useQuery({
    queryKey: keys.version(name, to ?? 0, from),
    queryFn: ({ signal }) => getVersion(name, to!, from, signal),
    enabled: ready,
  })
  const option = (v: VersionSummary) => (
    <option key={v.version} value={v.version}>
      v{v.version}
      {v.live ? ' (live)' : ''}
    </option>
  )
  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Compare versions</h2>
      <div className="field-row">
        <div className="field">
          <label htmlFor={`${id}-from`}>From version</label>
          <select
            id={`${id}-from`}
            value={from ?? ''}
            onChange={(e) => onSelect({ from: Number(e.target.value) || undefined, to })}
          >
            {from === undefined && <option value="">Choose…</option>}
            {versions.map(option)}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-to`}>To version</label>
          <select
            id={`${id}-to`}
            value={to ?? ''}
            onChange={(e) => onSelect({ from, to: Number(e.target.value) || undefined })}
          >
            {to === undefined && <option value="">Choose…</option>}
            {versions.map(option)}
          </select>
        </div>
        <button
          type="button"
          onClick={() => onSelect({ from: to, to: from })}
          disabled={from === undefined || to === undefined}
        >
          Swap
        </button>
      </div>
      {versions.length < 2 && <p className="muted">Deploy a second version to compare two.</p>}
      {same && <p className="muted">Choose two different versions.</p>}
      <ErrorNotice error={left.error ?? right.error} title="Versions" />
      {ready && (left.isPending || right.isPending) && !(left.error || right.error) && (
        <Loading label="Loading both versions…" />
      )}
      {left.data && right.data && ready && (
        <>
          <h3>Configuration</h3>
          <ConfigChanges from={left.data} to={right.data} />
          <h3>Code</h3>
          {left.data.code === right.data.code ? (
            <p className="muted">The code is the same.</p>
          ) : (
            <CodeMerge from={left.data} to={right.data} />
          )}
        </>
      )}
    </section>
  )
}
