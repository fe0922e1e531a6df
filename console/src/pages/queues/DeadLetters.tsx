import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import {
  type DeadLetter,
  deleteDeadLetter,
  listDeadLetters,
  purgeDeadLetters,
  retryDeadLetter,
  retryDeadLetters,
} from '../../api/queues.ts'
import { canWrite } from '../../api/session.ts'
import { useAdmin } from '../../app/session.tsx'
import { ConfirmButton } from '../../ui/ConfirmButton.tsx'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { dateTime, fromNow } from '../../ui/format.ts'
import { Loading } from '../../ui/Loading.tsx'

const PAGE = 50

/** The error of a dead letter as one line. */
export function errorLine(error: unknown): string {
  if (error == null) return '—'
  if (typeof error === 'string') return error
  if (typeof error === 'object' && 'message' in error) return String((error as { message: unknown }).message)
  return JSON.stringify(error)
}

function Row({
  letter,
  selected,
  onToggle,
  writable,
  onRetry,
  onDelete,
}: {
  letter: DeadLetter
  selected: boolean
  onToggle: () => void
  writable: boolean
  onRetry: () => void
  onDelete: () => void
}) {
  const [open, setOpen] = useState(false)
  return (
    <>
      <tr>
        <td>
          <input
            type="checkbox"
            aria-label={`Select dead letter ${letter.id}`}
            checked={selected}
            onChange={onToggle}
            disabled={!writable}
          />
        </td>
        <td>
          <code>{letter.function}</code> v{letter.version}
        </td>
        <td>{letter.queue ? `queue ${letter.queue}` : letter.trigger}</td>
        <td>{letter.attempts}</td>
        <td className="dead-error">{errorLine(letter.error)}</td>
        <td title={dateTime(letter.failedAt)}>{fromNow(letter.failedAt)}</td>
        <td className="row-actions">
          <button type="button" aria-expanded={open} onClick={() => setOpen(!open)}>
            {open ? 'Hide event' : 'Show event'}
          </button>
          {writable && (
            <>
              <button type="button" onClick={onRetry}>
                Redrive
              </button>
              <ConfirmButton onConfirm={onDelete}>Delete</ConfirmButton>
            </>
          )}
        </td>
      </tr>
      {open && (
        <tr className="dead-detail">
          <td />
          <td colSpan={6}>
            {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard. */}
            <section className="scroll-block" aria-label={`Dead letter ${letter.id}`} tabIndex={0}>
              <pre>{JSON.stringify({ event: letter.event, error: letter.error }, null, 2)}</pre>
            </section>
          </td>
        </tr>
      )}
    </>
  )
}

/** Dead letters: what failed its last attempt, with redrive (one, a selection, all) and purge. */
export function DeadLetters() {
  const admin = useAdmin()
  const writable = canWrite(admin)
  const client = useQueryClient()
  const [fn, setFn] = useState('')
  const [selected, setSelected] = useState<Set<string>>(new Set())
  const [outcome, setOutcome] = useState<string | null>(null)
  const letters = useInfiniteQuery({
    queryKey: ['dead-letters', fn],
    queryFn: ({ pageParam, signal }) =>
      listDeadLetters(
        { limit: PAGE, ...(fn ? { function: fn } : {}), ...(pageParam ? { cursor: pageParam } : {}) },
        signal,
      ),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: 10_000,
  })
  const refresh = () => {
    setSelected(new Set())
    void client.invalidateQueries({ queryKey: ['dead-letters'] })
    void client.invalidateQueries({ queryKey: ['queues'] })
  }
  const act = useMutation({
    mutationFn: async (action: () => Promise<string>) => action(),
    onSuccess: (message) => {
      setOutcome(message)
      refresh()
    },
  })
  const rows = letters.data?.pages.flatMap((page) => page.deadLetters) ?? []

  const toggle = (id: string) =>
    setSelected((current) => {
      const next = new Set(current)
      if (next.has(id)) next.delete(id)
      else next.add(id)
      return next
    })

  return (
    <section className="panel" aria-labelledby="dead-title">
      <div className="panel-head">
        <h2 id="dead-title">Dead letters</h2>
        <label className="field inline-field">
          <span>Function</span>
          <input value={fn} onChange={(e) => setFn(e.target.value.trim())} placeholder="all functions" />
        </label>
      </div>
      {writable && (
        <div className="toolbar" role="toolbar" aria-label="Dead letter actions">
          <button
            type="button"
            disabled={selected.size === 0 || act.isPending}
            onClick={() =>
              act.mutate(async () => {
                const { retried } = await retryDeadLetters({ ids: [...selected] })
                return `Redrove ${retried} dead letter${retried === 1 ? '' : 's'}.`
              })
            }
          >
            Redrive selected ({selected.size})
          </button>
          <ConfirmButton
            className=""
            disabled={rows.length === 0 || act.isPending}
            onConfirm={() =>
              act.mutate(async () => {
                const { retried } = await retryDeadLetters(fn ? { function: fn } : { all: true })
                return `Redrove ${retried} dead letter${retried === 1 ? '' : 's'}.`
              })
            }
          >
            {fn ? `Redrive all of ${fn}` : 'Redrive all'}
          </ConfirmButton>
          <ConfirmButton
            disabled={rows.length === 0 || act.isPending}
            onConfirm={() =>
              act.mutate(async () => {
                const { deleted } = await purgeDeadLetters(fn || undefined)
                return `Purged ${deleted} dead letter${deleted === 1 ? '' : 's'}.`
              })
            }
          >
            {fn ? `Purge ${fn}` : 'Purge all'}
          </ConfirmButton>
        </div>
      )}
      <ErrorNotice error={act.error} title="Not done" />
      {outcome && !act.error && (
        <p className="notice notice-ok" role="status">
          {outcome}
        </p>
      )}
      {letters.error && <ErrorNotice error={letters.error} title="Dead letters" />}
      {letters.isPending ? (
        <Loading label="Loading dead letters…" />
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">
                <span className="visually-hidden">Selected</span>
              </th>
              <th scope="col">Function</th>
              <th scope="col">Trigger</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last error</th>
              <th scope="col">Failed</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((letter) => (
              <Row
                key={letter.id}
                letter={letter}
                selected={selected.has(letter.id)}
                onToggle={() => toggle(letter.id)}
                writable={writable}
                onRetry={() =>
                  act.mutate(async () => {
                    await retryDeadLetter(letter.id)
                    return `Redrove the dead letter of ${letter.function}.`
                  })
                }
                onDelete={() =>
                  act.mutate(async () => {
                    await deleteDeadLetter(letter.id)
                    return 'Deleted the dead letter.'
                  })
                }
              />
            ))}
            {rows.length === 0 && (
              <tr>
                <td colSpan={7} className="muted">
                  No dead letters{fn ? ` for ${fn}` : ''}: every event reached a successful execution or is
                  still being retried.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      )}
      {letters.hasNextPage && (
        <button
          type="button"
          onClick={() => void letters.fetchNextPage()}
          disabled={letters.isFetchingNextPage}
        >
          Load more
        </button>
      )}
    </section>
  )
}
