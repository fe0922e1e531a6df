import { useMutation, useQuery } from '@tanstack/react-query'
import { Fragment, type ReactNode, useEffect, useState } from 'react'
import {
  deleteObject,
  downloadObject,
  headObject,
  objectUrl,
  type StoredObject,
  signObject,
} from '../../api/storage.ts'
import { ConfirmAction } from '../../ui/ConfirmDialog.tsx'
import { CopyButton } from '../../ui/CopyButton.tsx'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { bytes, dateTime } from '../../ui/format.ts'
import { Loading } from '../../ui/Loading.tsx'
import { SelectField } from '../../ui/SelectField.tsx'
import { baseName } from './folders.ts'
import { prettyJson, previewKind } from './preview.ts'

const EXPIRIES = [
  { seconds: 15 * 60, label: '15 minutes' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 24 * 3600, label: '1 day' },
  { seconds: 7 * 24 * 3600, label: '7 days' },
] as const

/** An image from bytes read with the session, shown through a blob URL (the CSP allows `blob:`). */
function ImagePreview({ blob, alt }: { blob: Blob; alt: string }) {
  const [url, setUrl] = useState<string | null>(null)
  useEffect(() => {
    const created = URL.createObjectURL(blob)
    setUrl(created)
    return () => URL.revokeObjectURL(created)
  }, [blob])
  return url ? <img className="image-preview" src={url} alt={alt} /> : null
}

/** JSON tokens coloured by kind (keys, strings, numbers, literals); the text itself is unchanged. */
function highlighted(json: string): ReactNode[] {
  const parts: ReactNode[] = []
  const token = /("(?:\\.|[^"\\])*")(\s*:)?|\b(?:true|false|null)\b|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g
  let at = 0
  for (const match of json.matchAll(token)) {
    if (match.index > at) parts.push(json.slice(at, match.index))
    const kind = match[2] ? 'key' : match[1] ? 'string' : /^[tfn]/.test(match[0]) ? 'literal' : 'number'
    parts.push(
      <span key={match.index} className={`json-${kind}`}>
        {match[1] ?? match[0]}
      </span>,
    )
    if (match[2]) parts.push(match[2])
    at = match.index + match[0].length
  }
  parts.push(json.slice(at))
  return parts
}

function TextPreview({ blob, json, label }: { blob: Blob; json: boolean; label: string }) {
  const text = useQuery({
    queryKey: ['blob-text', blob],
    queryFn: () => blob.text(),
    staleTime: Number.POSITIVE_INFINITY,
  })
  if (text.error) return <ErrorNotice error={text.error} />
  if (text.data === undefined) return <Loading label="Reading…" />
  const shown = json ? prettyJson(text.data) : { text: text.data, valid: false }
  return (
    <>
      {json && !shown.valid && <p className="notice notice-info">This is not valid JSON; shown as text.</p>}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard. */}
      <section className="text-preview" aria-label={label} tabIndex={0}>
        <pre>{shown.valid ? highlighted(shown.text) : shown.text}</pre>
      </section>
    </>
  )
}

function Preview({ bucket, object }: { bucket: string; object: StoredObject }) {
  const kind = previewKind(object)
  const content = useQuery({
    queryKey: ['storage', 'bytes', bucket, object.key, object.etag],
    queryFn: ({ signal }) => downloadObject(bucket, object.key, signal),
    enabled: kind !== 'none',
    staleTime: Number.POSITIVE_INFINITY,
  })
  if (kind === 'none')
    return (
      <p className="muted">No preview for {object.contentType || 'this type'}: download it to open it.</p>
    )
  if (content.error) return <ErrorNotice error={content.error} title="Preview" />
  if (!content.data) return <Loading label="Loading preview…" />
  if (kind === 'image') return <ImagePreview blob={content.data} alt={`Preview of ${object.key}`} />
  return <TextPreview blob={content.data} json={kind === 'json'} label={`Contents of ${object.key}`} />
}

function SignedUrl({ bucket, objectKey }: { bucket: string; objectKey: string }) {
  const [expiresIn, setExpiresIn] = useState<number>(3600)
  const sign = useMutation({ mutationFn: () => signObject(bucket, objectKey, expiresIn) })
  return (
    <div className="signed-url">
      <div className="field-row">
        <SelectField
          label="Signed URL valid for"
          value={expiresIn}
          onChange={(event) => setExpiresIn(Number(event.target.value))}
        >
          {EXPIRIES.map((option) => (
            <option key={option.seconds} value={option.seconds}>
              {option.label}
            </option>
          ))}
        </SelectField>
        <div className="field">
          <button type="button" onClick={() => sign.mutate()} disabled={sign.isPending}>
            {sign.isPending ? 'Signing…' : 'Create signed URL'}
          </button>
        </div>
      </div>
      <ErrorNotice error={sign.error} title="Signed URL" />
      {sign.data && (
        <div className="signed-url-result">
          <label className="field">
            <span>Signed URL (works without credentials until {dateTime(sign.data.expiresAt)})</span>
            <input
              readOnly
              value={sign.data.url}
              className="mono"
              onFocus={(event) => event.target.select()}
            />
          </label>
          <CopyButton text={sign.data.url} label="Copy signed URL" />
          <a className="button" href={sign.data.url} target="_blank" rel="noopener noreferrer">
            Open signed URL
          </a>
        </div>
      )}
    </div>
  )
}

/**
 * The object beside the listing: its metadata, a preview (images, JSON, text), download, a signed URL
 * to share, and delete. `object` is undefined while the listing has not loaded it (a deep link).
 */
export function ObjectDetails({
  bucket,
  objectKey,
  listed,
  canWrite,
  onClose,
  onDeleted,
}: {
  bucket: string
  objectKey: string
  /** The object as the listing has it; read with a HEAD when the listing has not loaded it. */
  listed: StoredObject | undefined
  canWrite: boolean
  onClose: () => void
  onDeleted: (key: string) => void
}) {
  const head = useQuery({
    queryKey: ['storage', 'head', bucket, objectKey],
    queryFn: ({ signal }) => headObject(bucket, objectKey, signal),
    enabled: !listed,
  })
  const object = listed ?? head.data
  const name = baseName(objectKey)
  const download = `${objectUrl(bucket, objectKey)}?download=${encodeURIComponent(name)}`
  return (
    <section className="panel object-details" aria-labelledby="object-title">
      <div className="panel-head">
        <h2 id="object-title" className="object-title">
          {name}
        </h2>
        <button type="button" onClick={onClose} aria-label="Close details">
          Close
        </button>
      </div>
      <dl className="detail-list">
        <dt>Key</dt>
        <dd className="mono">{objectKey}</dd>
        {object && (
          <>
            <dt>Size</dt>
            <dd>{bytes(object.size)}</dd>
            <dt>Type</dt>
            <dd className="mono">{object.contentType}</dd>
            <dt>Updated</dt>
            <dd>{dateTime(object.updatedAt)}</dd>
            <dt>SHA-256</dt>
            <dd className="mono etag">{object.etag}</dd>
            {Object.entries(object.metadata).map(([key, value]) => (
              <Fragment key={key}>
                <dt>{key}</dt>
                <dd>{value}</dd>
              </Fragment>
            ))}
          </>
        )}
      </dl>
      <div className="object-actions">
        <a className="button" href={download} download={name}>
          Download
        </a>
        {canWrite && (
          <ConfirmAction
            label="Delete"
            title={`Delete ${name}?`}
            confirmLabel="Delete object"
            description={
              <p>
                <code>{objectKey}</code> is removed from <strong>{bucket}</strong> for good; signed URLs to it
                stop working.
              </p>
            }
            onConfirm={async () => {
              await deleteObject(bucket, objectKey)
              onDeleted(objectKey)
            }}
          />
        )}
      </div>
      {canWrite ? (
        <SignedUrl bucket={bucket} objectKey={objectKey} />
      ) : (
        <p className="muted">Viewers can download objects; signing URLs takes a developer or an owner.</p>
      )}
      <h3>Preview</h3>
      <div className="object-preview">
        {object ? (
          <Preview bucket={bucket} object={object} />
        ) : head.error ? (
          <ErrorNotice error={head.error} />
        ) : (
          <Loading label="Loading details…" />
        )}
      </div>
    </section>
  )
}
