import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useNavigate } from '@tanstack/react-router'
import { deleteFunction } from '../../api/functions.ts'
import { ConfirmButton } from '../../ui/ConfirmButton.tsx'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { keys } from './queries.ts'

/** Deleting a function: every trigger stops, and its versions, executions and dead letters go. */
export function DeletePanel({ name }: { name: string }) {
  const client = useQueryClient()
  const navigate = useNavigate()
  const remove = useMutation({
    mutationFn: () => deleteFunction(name),
    onSuccess: async () => {
      client.removeQueries({ queryKey: keys.detail(name) })
      await navigate({ to: '/functions' })
      await client.invalidateQueries({ queryKey: keys.all })
    },
  })
  return (
    <section className="panel danger-zone" aria-labelledby="delete-title">
      <h2 id="delete-title">Delete this function</h2>
      <p className="muted small">
        Its triggers stop at once; its versions, executions, dead letters and schedules are deleted. The name
        can be deployed again, from version 1.
      </p>
      <ConfirmButton
        onConfirm={() => remove.mutate()}
        disabled={remove.isPending}
        confirmLabel={`Press again to delete ${name}`}
      >
        Delete function
      </ConfirmButton>
      <ErrorNotice error={remove.error} title="Delete" />
    </section>
  )
}
