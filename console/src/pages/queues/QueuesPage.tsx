import { useQuery } from '@tanstack/react-query'
import { listQueues } from '../../api/queues.ts'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { duration, number } from '../../ui/format.ts'
import { Loading } from '../../ui/Loading.tsx'
import { DriftNotice, ManagedBadge, useLiveResources } from '../../ui/Managed.tsx'
import { PageHeader } from '../../ui/PageHeader.tsx'
import { DeadLetters } from './DeadLetters.tsx'
import { PublishForm } from './PublishForm.tsx'
import './queues.css'

function QueueTable() {
  const queues = useQuery({
    queryKey: ['queues'],
    queryFn: ({ signal }) => listQueues(signal),
    refetchInterval: 5000,
  })
  const states = useLiveResources().filter((r) => r.kind === 'queue')
  const stateOf = (name: string) => states.find((r) => r.name === name)
  const drifted = states.filter((r) => r.drifted)
  if (queues.error) return <ErrorNotice error={queues.error} title="Queues" />
  if (!queues.data) return <Loading label="Loading queues…" />
  return (
    <section className="panel" aria-labelledby="queues-title">
      <h2 id="queues-title">Queues</h2>
      {drifted.map((state) => (
        <DriftNotice key={state.name} state={state} subject={`Queue ${state.name}`} />
      ))}
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Queue</th>
            <th scope="col">Depth</th>
            <th scope="col">In flight</th>
            <th scope="col">Oldest message</th>
            <th scope="col">Published / min</th>
            <th scope="col">Processed / min</th>
            <th scope="col">Dead letters</th>
            <th scope="col">Consumers</th>
          </tr>
        </thead>
        <tbody>
          {queues.data.map((queue) => (
            <tr key={queue.name}>
              <th scope="row">
                <code>{queue.name}</code> <ManagedBadge state={stateOf(queue.name)} compact />
              </th>
              <td>{number(queue.depth)}</td>
              <td>{number(queue.inFlight)}</td>
              <td>{queue.oldestAgeSeconds == null ? '—' : duration(queue.oldestAgeSeconds * 1000)}</td>
              <td>{number(queue.publishedPerMinute, 1)}</td>
              <td>{number(queue.processedPerMinute, 1)}</td>
              <td>
                {queue.dead > 0 ? <span className="badge badge-failed">{number(queue.dead)}</span> : '0'}
              </td>
              <td>
                {queue.consumers?.length ? queue.consumers.join(', ') : <span className="muted">none</span>}
              </td>
            </tr>
          ))}
          {queues.data.length === 0 && (
            <tr>
              <td colSpan={8} className="muted">
                No queue yet: a queue exists once a function has a queue trigger on it, a rule is set for it,
                or a message is published to it.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  )
}

/** Queues with their depth and age, a test publisher, and the dead letters with redrive and purge. */
export function QueuesPage() {
  return (
    <>
      <PageHeader
        title="Queues"
        description="Depth, age and throughput of every queue; publish a test message; redrive or purge dead letters."
      />
      <QueueTable />
      <PublishForm />
      <DeadLetters />
    </>
  )
}
