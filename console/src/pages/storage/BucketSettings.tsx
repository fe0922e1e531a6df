import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useNavigate } from '@tanstack/react-router'
import { type FormEvent, useState } from 'react'
import { type Bucket, type BucketInput, deleteBucket, putBucket } from '../../api/storage.ts'
import { ConfirmAction } from '../../ui/ConfirmDialog.tsx'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { bytes, dateTime } from '../../ui/format.ts'

const MIB = 1024 * 1024
const RULES = [
  { key: 'read', label: 'Read rule', hint: 'download, list, sign' },
  { key: 'write', label: 'Write rule', hint: 'upload, replace' },
  { key: 'delete', label: 'Delete rule', hint: 'delete' },
] as const

interface Form {
  public: boolean
  read: string
  write: string
  delete: string
  /** MiB, as typed; '' for the platform's limit. */
  maxFileSize: string
  /** Comma- or line-separated media types. */
  allowedContentTypes: string
}

export function formOf(bucket: Bucket): Form {
  return {
    public: bucket.public,
    read: bucket.rules.read ?? '',
    write: bucket.rules.write ?? '',
    delete: bucket.rules.delete ?? '',
    maxFileSize: bucket.maxFileSize === null ? '' : String(Number((bucket.maxFileSize / MIB).toFixed(3))),
    allowedContentTypes: bucket.allowedContentTypes.join(', '),
  }
}

/** The PUT body of a form (PUT replaces: an empty rule is left out, which denies). */
export function inputOf(form: Form): BucketInput {
  const rules: BucketInput['rules'] = {}
  for (const { key } of RULES) if (form[key].trim()) rules[key] = form[key].trim()
  const size = form.maxFileSize.trim()
  return {
    public: form.public,
    rules,
    maxFileSize: size === '' ? null : Math.round(Number(size) * MIB),
    allowedContentTypes: form.allowedContentTypes
      .split(/[\s,]+/)
      .map((type) => type.trim())
      .filter(Boolean),
  }
}

/** A bucket's settings, editable by developers and owners; and deleting it, once empty. */
export function BucketSettings({ bucket, canWrite }: { bucket: Bucket; canWrite: boolean }) {
  const client = useQueryClient()
  const navigate = useNavigate()
  const [form, setForm] = useState<Form>(() => formOf(bucket))
  const save = useMutation({
    mutationFn: () => putBucket(bucket.name, inputOf(form)),
    onSuccess: (saved) => {
      client.setQueryData(['storage', 'bucket', bucket.name], saved)
      void client.invalidateQueries({ queryKey: ['storage', 'buckets'] })
      setForm(formOf(saved))
    },
  })
  const set = <K extends keyof Form>(key: K, value: Form[K]) => {
    save.reset()
    setForm((current) => ({ ...current, [key]: value }))
  }
  const submit = (event: FormEvent) => {
    event.preventDefault()
    save.mutate()
  }
  const size = Number(form.maxFileSize)
  const sizeValid = form.maxFileSize.trim() === '' || (Number.isFinite(size) && size >= 0)

  return (
    <>
      <form className="panel bucket-settings" onSubmit={submit} aria-labelledby="bucket-settings-title">
        <h2 id="bucket-settings-title">Settings</h2>
        {!canWrite && (
          <p className="notice notice-info" role="note">
            Viewers can read these settings; changing them takes a developer or an owner.
          </p>
        )}
        <fieldset disabled={!canWrite || save.isPending}>
          <legend className="visually-hidden">Bucket settings</legend>
          <label className="check-field">
            <input
              type="checkbox"
              checked={form.public}
              onChange={(event) => set('public', event.target.checked)}
            />
            Public: anyone may download objects by URL, without credentials
          </label>
          <p className="muted">
            Rules are CEL over <code>auth</code>, <code>object</code> (
            <code>key, size, contentType, metadata</code>) and <code>request</code>. An empty rule denies
            everyone but admins and the service key.
          </p>
          {RULES.map((rule) => (
            <label key={rule.key} className="field">
              <span>
                {rule.label} <span className="muted">({rule.hint})</span>
              </span>
              <textarea
                rows={2}
                value={form[rule.key]}
                spellCheck={false}
                placeholder={canWrite ? 'e.g. auth != null' : 'none: denied'}
                onChange={(event) => set(rule.key, event.target.value)}
              />
            </label>
          ))}
          <div className="field-row">
            <label className="field">
              <span>Max file size (MiB)</span>
              <input
                inputMode="decimal"
                value={form.maxFileSize}
                placeholder="platform limit"
                aria-invalid={!sizeValid}
                aria-describedby="max-size-hint"
                onChange={(event) => set('maxFileSize', event.target.value)}
              />
            </label>
            <span id="max-size-hint" className="muted size-hint">
              {form.maxFileSize.trim() === ''
                ? 'Empty: the platform’s limit.'
                : sizeValid
                  ? `${bytes(Math.round(size * MIB))} per object.`
                  : 'A number of MiB, please.'}
            </span>
          </div>
          <div className="field">
            <label htmlFor="allowed-types">Allowed content types</label>
            <input
              id="allowed-types"
              value={form.allowedContentTypes}
              placeholder="any type"
              spellCheck={false}
              aria-describedby="types-hint"
              onChange={(event) => set('allowedContentTypes', event.target.value)}
            />
            <span id="types-hint" className="muted field-note">
              Comma-separated, e.g. <code>image/*, application/json</code>. Empty: any type.
            </span>
          </div>
        </fieldset>
        <ErrorNotice error={save.error} title="Not saved" />
        {save.isSuccess && (
          <p className="notice notice-ok" role="status">
            Saved at {dateTime(save.data.updatedAt)}.
          </p>
        )}
        {canWrite && (
          <button type="submit" className="primary" disabled={save.isPending || !sizeValid}>
            {save.isPending ? 'Saving…' : 'Save settings'}
          </button>
        )}
      </form>
      {canWrite && (
        <section className="panel danger-zone" aria-labelledby="bucket-danger-title">
          <h2 id="bucket-danger-title">Delete this bucket</h2>
          <p className="muted">Only an empty bucket can be deleted: delete its objects first.</p>
          <ConfirmAction
            label="Delete bucket"
            title={`Delete bucket ${bucket.name}?`}
            typed={bucket.name}
            description={<p>The bucket and its settings go for good.</p>}
            onConfirm={async () => {
              await deleteBucket(bucket.name)
              client.removeQueries({ queryKey: ['storage', 'bucket', bucket.name] })
              await client.invalidateQueries({ queryKey: ['storage', 'buckets'] })
              await navigate({ to: '/storage', search: { deleted: bucket.name } })
            }}
          />
        </section>
      )}
    </>
  )
}
