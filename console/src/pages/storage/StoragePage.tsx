import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { Link, useNavigate, useSearch } from '@tanstack/react-router'
import { type FormEvent, useState } from 'react'
import { canWrite } from '../../api/session.ts'
import { listBuckets, putBucket } from '../../api/storage.ts'
import { useAdmin } from '../../app/session.tsx'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { bytes, dateTime, fromNow } from '../../ui/format.ts'
import { Loading } from '../../ui/Loading.tsx'
import { PageHeader } from '../../ui/PageHeader.tsx'
import './storage.css'

const NAME = /^[A-Za-z0-9_-]{1,63}$/

function CreateBucket({ existing }: { existing: readonly string[] }) {
  const client = useQueryClient()
  const navigate = useNavigate()
  const [name, setName] = useState('')
  const [isPublic, setPublic] = useState(false)
  const create = useMutation({
    mutationFn: () => putBucket(name, { public: isPublic }),
    onSuccess: async (bucket) => {
      await client.invalidateQueries({ queryKey: ['storage', 'buckets'] })
      await navigate({ to: '/storage/$bucket', params: { bucket: bucket.name }, search: {} })
    },
  })
  const taken = existing.includes(name)
  const valid = NAME.test(name) && !taken
  const submit = (event: FormEvent) => {
    event.preventDefault()
    if (valid) create.mutate()
  }
  return (
    <form className="panel create-bucket" onSubmit={submit} aria-labelledby="create-bucket-title">
      <h2 id="create-bucket-title">New bucket</h2>
      <div className="field-row">
        <label className="field">
          <span>Name</span>
          <input
            value={name}
            onChange={(event) => setName(event.target.value)}
            placeholder="avatars"
            spellCheck={false}
            aria-invalid={name !== '' && !valid}
            aria-describedby="bucket-name-hint"
          />
        </label>
        <label className="check-field field">
          <input type="checkbox" checked={isPublic} onChange={(event) => setPublic(event.target.checked)} />
          Public (anyone may download by URL)
        </label>
        <div className="field">
          <button type="submit" className="primary" disabled={!valid || create.isPending}>
            {create.isPending ? 'Creating…' : 'Create bucket'}
          </button>
        </div>
      </div>
      <p id="bucket-name-hint" className={name !== '' && !valid ? 'field-error' : 'muted'}>
        {taken
          ? `A bucket named ${name} exists already.`
          : '1-63 letters, digits, - and _. Rules start empty: only admins and the service key reach a new private bucket.'}
      </p>
      <ErrorNotice error={create.error} title="Not created" />
    </form>
  )
}

function ruleSummary(rules: { read?: string; write?: string; delete?: string }): string {
  const set = (['read', 'write', 'delete'] as const).filter((key) => rules[key])
  return set.length ? set.join(', ') : 'none (admins only)'
}

/** Every bucket, with its settings at a glance, and a form to add one. */
export function StoragePage() {
  const admin = useAdmin()
  const { deleted } = useSearch({ from: '/storage' })
  const buckets = useQuery({ queryKey: ['storage', 'buckets'], queryFn: ({ signal }) => listBuckets(signal) })
  return (
    <>
      <PageHeader
        title="Storage"
        description="Buckets of objects: who may read and write them, how large, which types."
      />
      {deleted && (
        <p className="notice notice-ok" role="status">
          Deleted bucket <code>{deleted}</code>.
        </p>
      )}
      {canWrite(admin) ? (
        <CreateBucket existing={buckets.data?.map((bucket) => bucket.name) ?? []} />
      ) : (
        <p className="notice notice-info" role="note">
          You are a viewer: you can browse buckets and download objects, not change them.
        </p>
      )}
      <section className="panel" aria-labelledby="buckets-title">
        <h2 id="buckets-title">Buckets</h2>
        {buckets.error ? (
          <ErrorNotice error={buckets.error} title="Buckets" />
        ) : !buckets.data ? (
          <Loading label="Loading buckets…" />
        ) : buckets.data.length === 0 ? (
          <p className="muted">No bucket yet.</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Bucket</th>
                <th scope="col">Access</th>
                <th scope="col">Rules set</th>
                <th scope="col">Max file size</th>
                <th scope="col">Allowed types</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {buckets.data.map((bucket) => (
                <tr key={bucket.name}>
                  <td>
                    <Link to="/storage/$bucket" params={{ bucket: bucket.name }} search={{}}>
                      {bucket.name}
                    </Link>
                  </td>
                  <td>
                    <span className={bucket.public ? 'badge badge-public' : 'badge'}>
                      {bucket.public ? 'public' : 'private'}
                    </span>
                  </td>
                  <td>{ruleSummary(bucket.rules)}</td>
                  <td>{bucket.maxFileSize === null ? 'platform limit' : bytes(bucket.maxFileSize)}</td>
                  <td className="mono">{bucket.allowedContentTypes.join(', ') || 'any'}</td>
                  <td title={dateTime(bucket.updatedAt)}>{fromNow(bucket.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  )
}
