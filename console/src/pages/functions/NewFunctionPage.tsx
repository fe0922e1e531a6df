import { Link, useNavigate } from '@tanstack/react-router'
import { useMemo, useState } from 'react'
import { canWrite } from '../../api/session.ts'
import { useAdmin } from '../../app/session.tsx'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { PageHeader } from '../../ui/PageHeader.tsx'
import { CodePane } from './CodePane.tsx'
import { ConfigSections } from './ConfigSections.tsx'
import { type FunctionDraft, newDraft } from './draft.ts'
import { problemPlaces, ReadOnlyNote, saveShortcut } from './page-parts.tsx'
import { useEventTypes, useFunctionList } from './queries.ts'
import { useDeploy } from './use-deploy.ts'
import './functions.css'

/** `/console/functions/new`: name, code, triggers, environment and limits, then the first deploy. */
export function NewFunctionPage() {
  const admin = useAdmin()
  const writable = canWrite(admin)
  const navigate = useNavigate()
  const [name, setName] = useState('')
  const [draft, setDraft] = useState<FunctionDraft>(newDraft)
  const eventTypes = useEventTypes()
  const existing = useFunctionList()
  const taken = useMemo(() => existing.data?.map((f) => f.name), [existing.data])
  const deploy = useDeploy({
    name,
    draft,
    eventTypes: eventTypes.data,
    checkName: true,
    taken,
    onDeployed: (result) => void navigate({ to: '/functions/$name', params: { name: result.name } }),
  })
  const change = (next: FunctionDraft) => {
    setDraft(next)
    deploy.edited()
  }
  const places = problemPlaces(deploy.problems)

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: the shortcut only adds to the Deploy button.
    <div className="function-page" onKeyDown={saveShortcut(() => writable && deploy.deploy())}>
      <PageHeader
        title="New function"
        description="An ES module whose default export runs on each trigger: async (event, ctx) => result. A Lambda-style handler(event, context) export runs too (see the functions docs)."
        actions={
          writable && (
            <button
              type="button"
              className="primary"
              onClick={() => deploy.deploy()}
              disabled={deploy.mutation.isPending}
            >
              {deploy.mutation.isPending ? 'Deploying…' : 'Deploy'}
            </button>
          )
        }
      />
      {!writable && <ReadOnlyNote what="this page" />}
      {deploy.blocked && places.length > 0 && (
        <p className="notice notice-error" role="alert">
          Nothing was deployed: fix {places.join(', ')} first.
        </p>
      )}
      <ErrorNotice error={deploy.mutation.error} title="Deploy refused" />
      <section className="panel" aria-labelledby="name-title">
        <h2 id="name-title" className="visually-hidden">
          Function
        </h2>
        <div className="field name-field">
          <label htmlFor="function-name">Name</label>
          <input
            id="function-name"
            value={name}
            autoComplete="off"
            spellCheck={false}
            readOnly={!writable}
            aria-invalid={deploy.problems.name ? true : undefined}
            aria-describedby={`function-name-hint${deploy.problems.name ? ' function-name-error' : ''}`}
            onChange={(e) => {
              setName(e.target.value.trim())
              deploy.edited()
            }}
          />
          <small id="function-name-hint" className="field-hint">
            Letters, digits, - and _. HTTP calls reach it at <code>/functions/v1/{name || '{name}'}</code>.
          </small>
          {deploy.problems.name && (
            <small id="function-name-error" className="field-error">
              {deploy.problems.name}{' '}
              {taken?.includes(name) && (
                <Link to="/functions/$name" params={{ name }}>
                  Open {name}
                </Link>
              )}
            </small>
          )}
        </div>
      </section>
      <section className="panel" aria-labelledby="code-title">
        <h2 id="code-title">Code</h2>
        <CodePane
          code={draft.code}
          onChange={(code) => change({ ...draft, code })}
          problems={deploy.codeProblems}
          readOnly={!writable}
          missing={deploy.problems.code}
        />
      </section>
      <ConfigSections
        draft={draft}
        onChange={change}
        problems={deploy.problems}
        envProblem={deploy.envProblem}
        eventTypes={eventTypes.data}
        eventTypesError={eventTypes.error}
        readOnly={!writable}
      />
    </div>
  )
}
