import { useQuery } from '@tanstack/react-query'
import { getRouteApi, Link } from '@tanstack/react-router'
import { useEffect, useMemo, useState } from 'react'
import { simulateRule } from '../../api/rules.ts'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { Loading } from '../../ui/Loading.tsx'
import { PageHeader } from '../../ui/PageHeader.tsx'
import { SimulatorForm } from './SimulatorForm.tsx'
import type { SimulatorSearch } from './search.ts'
import { buildRequest } from './simulation.ts'
import { Verdict } from './Verdict.tsx'
import './rules.css'

const route = getRouteApi('/rules')

/** Drops empty fields and those of the other target, so the URL holds only what the question uses. */
function tidy(search: SimulatorSearch): SimulatorSearch {
  const target = search.target ?? 'document'
  const mode = search.auth ?? 'anonymous'
  const out: SimulatorSearch = { ...search }
  if (target === 'document') {
    delete out.bucket
    delete out.key
  } else {
    delete out.collection
    delete out.id
  }
  if (mode !== 'user') {
    delete out.uid
    delete out.email
  }
  if (mode === 'anonymous') delete out.claims
  for (const key of Object.keys(out) as (keyof SimulatorSearch)[]) if (out[key] === undefined) delete out[key]
  return out
}

/**
 * The rules simulator: a request (document or object, operation, caller, data) and what the stored
 * rules decide for it, with the deciding expression and the values it read. The question lives in the
 * URL: a link reproduces the simulation, and the Rules tab of a collection links here prefilled.
 */
export function RulesPage() {
  const search = route.useSearch()
  const navigate = route.useNavigate()
  const [draft, setDraft] = useState<SimulatorSearch>(search)
  const searchKey = JSON.stringify(search)
  // A new URL (a link, back/forward) replaces the form.
  // biome-ignore lint/correctness/useExhaustiveDependencies: keyed on the search's JSON.
  useEffect(() => setDraft(search), [searchKey])

  const submitted = useMemo(() => buildRequest(search), [search])
  const drafted = useMemo(() => buildRequest(draft), [draft])
  const hasQuestion = Boolean(search.collection || search.bucket)
  const simulation = useQuery({
    queryKey: ['simulate', submitted.request],
    queryFn: ({ signal }) => simulateRule(submitted.request!, signal),
    enabled: submitted.request !== undefined,
    retry: false,
    staleTime: 0,
  })
  const changed = JSON.stringify(tidy(draft)) !== JSON.stringify(tidy(search))

  return (
    <>
      <PageHeader
        title="Rules simulator"
        description="Try a request against the stored rules: the verdict, the expression that decided, and the values it read."
      />
      <div className="simulator">
        <SimulatorForm
          draft={draft}
          onChange={(change) => setDraft((current) => ({ ...current, ...change }))}
          onSubmit={() => {
            if (!changed && simulation.data) void simulation.refetch()
            else void navigate({ search: tidy(draft) })
          }}
          errors={drafted.errors ?? []}
          busy={simulation.isFetching}
        />
        <div className="simulator-result">
          {changed && hasQuestion && (
            <p className="notice notice-warn">
              The form changed since this simulation: press Simulate to run it.
            </p>
          )}
          {!hasQuestion && (
            <div className="panel">
              <p>
                Name a collection or bucket, an operation and a caller, then press <strong>Simulate</strong>.
                The simulation uses the rules as saved, the stored document (or one you assume), and reads
                nothing else.
              </p>
              <p className="muted">
                A link to this page reproduces the simulation; each collection’s{' '}
                <Link to="/data">Rules tab</Link> links here for its rules.
              </p>
            </div>
          )}
          {hasQuestion && submitted.errors && (
            <ErrorNotice error={new Error(submitted.errors.join('; '))} title="This simulation cannot run" />
          )}
          <ErrorNotice error={simulation.error} title="Simulation" />
          {simulation.isFetching && !simulation.data && <Loading label="Simulating…" />}
          {simulation.data && !simulation.error && <Verdict simulation={simulation.data} />}
        </div>
      </div>
    </>
  )
}
