import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { type KeyboardEvent, useEffect, useMemo, useState } from 'react'
import {
  createDocument,
  type Document,
  deleteDocument,
  getDocument,
  type JsonSchema,
  setDocument,
} from '../../api/data.ts'
import { ApiError } from '../../api/http.ts'
import { CodeEditor, type CodeProblem } from '../../ui/CodeEditor.tsx'
import { ConfirmButton } from '../../ui/ConfirmButton.tsx'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { dateTime } from '../../ui/format.ts'
import { Loading } from '../../ui/Loading.tsx'
import { ConflictPanel } from './ConflictPanel.tsx'
import { checkDocument, type ServerSchemaError, serverProblems } from './document-problems.ts'
import { dropDocuments, patchDocument, restartDocuments } from './use-documents.ts'

/** The id the editor is opened with to create a document. */
export const NEW_DOCUMENT = 'new'

const pretty = (data: unknown) => JSON.stringify(data, null, 2)

type SaveOutcome = { saved: Document } | { conflict: Document | null }

/** The server's current document, or null when it no longer exists. */
async function currentOrNull(collection: string, id: string): Promise<Document | null> {
  try {
    return await getDocument(collection, id)
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null
    throw error
  }
}

/**
 * One document's data as JSON, checked against the collection's schema as it is typed (errors at their
 * place), saved with `If-Match: <version>`: a write made meanwhile by someone else is a conflict to
 * resolve, never silently overwritten.
 */
export function DocumentEditor({
  collection,
  docId,
  schema,
  writable,
  onClose,
  onCreated,
}: {
  collection: string
  /** The document's id, or NEW_DOCUMENT. */
  docId: string
  schema: JsonSchema | null
  writable: boolean
  onClose: () => void
  onCreated: (id: string) => void
}) {
  const client = useQueryClient()
  const isNew = docId === NEW_DOCUMENT
  const loaded = useQuery({
    queryKey: ['document', collection, docId],
    queryFn: ({ signal }) => getDocument(collection, docId, signal),
    enabled: !isNew,
    staleTime: 0,
  })
  const [base, setBase] = useState<Document | null>(null)
  const [text, setText] = useState(isNew ? '{\n  \n}' : '')
  const [newId, setNewId] = useState('')
  const [conflict, setConflict] = useState<{ theirs: Document | null } | null>(null)
  const [serverIssues, setServerIssues] = useState<CodeProblem[]>([])
  const [status, setStatus] = useState('')

  function adopt(doc: Document) {
    setBase(doc)
    setText(pretty(doc.data))
    setConflict(null)
    setServerIssues([])
  }

  // biome-ignore lint/correctness/useExhaustiveDependencies: adopt only the first load; later ones are the admin's choice.
  useEffect(() => {
    if (loaded.data && !base) adopt(loaded.data)
  }, [loaded.data])

  const checked = useMemo(() => checkDocument(text, schema), [text, schema])
  const problems = useMemo(() => [...checked.problems, ...serverIssues], [checked.problems, serverIssues])
  const dirty = base ? text !== pretty(base.data) : text.trim() !== '{}' && text.replace(/\s/g, '') !== '{}'

  const save = useMutation({
    mutationFn: async (against: { version?: number } = {}): Promise<SaveOutcome> => {
      const data = checked.data
      if (!data) throw new Error('Fix the problems marked in the editor first')
      if (isNew) return { saved: await createDocument(collection, data, newId.trim() || undefined) }
      const id = base?.id ?? docId
      try {
        return {
          saved: await setDocument(
            collection,
            id,
            data,
            'version' in against ? against.version : base?.version,
          ),
        }
      } catch (error) {
        if (error instanceof ApiError && error.code === 'db/version-mismatch') {
          return { conflict: await currentOrNull(collection, id) }
        }
        throw error
      }
    },
    onSuccess: async (outcome) => {
      if ('conflict' in outcome) {
        setConflict({ theirs: outcome.conflict })
        setStatus('')
        return
      }
      const saved = outcome.saved
      client.setQueryData(['document', collection, saved.id], saved)
      setStatus(`Saved version ${saved.version}.`)
      if (isNew) {
        await restartDocuments(client, collection)
        onCreated(saved.id)
        return
      }
      patchDocument(client, saved)
      adopt(saved)
    },
    onError: (error) => {
      setStatus('')
      if (error instanceof ApiError && error.code === 'db/validation-failed') {
        const errors = (error.details as { errors?: ServerSchemaError[] } | undefined)?.errors ?? []
        setServerIssues(serverProblems(text, errors))
      }
    },
  })

  const remove = useMutation({
    mutationFn: () => deleteDocument(collection, base!.id, base!.version),
    onSuccess: async () => {
      dropDocuments(client, collection, [base!.id])
      client.removeQueries({ queryKey: ['document', collection, base!.id] })
      await client.invalidateQueries({ queryKey: ['collections'] })
      await client.invalidateQueries({ queryKey: ['collection', collection] })
      onClose()
    },
  })

  const canSave = writable && checked.data !== null && !save.isPending && (isNew || (dirty && !conflict))

  function onKeyDown(event: KeyboardEvent) {
    if ((event.ctrlKey || event.metaKey) && event.key === 's') {
      event.preventDefault()
      if (canSave) save.mutate({})
    }
  }

  const title = isNew ? 'New document' : `Document ${docId}`
  return (
    <section className="panel doc-editor" aria-labelledby="doc-editor-title" onKeyDown={onKeyDown}>
      <div className="panel-head">
        <h2 id="doc-editor-title" className="doc-title">
          {title}
        </h2>
        <button type="button" onClick={onClose} aria-label="Close the document editor">
          Close
        </button>
      </div>
      {base && (
        <dl className="doc-meta">
          <dt>version</dt>
          <dd>{base.version}</dd>
          <dt>created</dt>
          <dd title={base.createdAt}>{dateTime(base.createdAt)}</dd>
          <dt>updated</dt>
          <dd title={base.updatedAt}>{dateTime(base.updatedAt)}</dd>
        </dl>
      )}
      {!isNew && loaded.error && <ErrorNotice error={loaded.error} title="Loading the document" />}
      {!isNew && !base && !loaded.error && <Loading label="Loading the document…" />}
      {isNew && (
        <label className="field">
          <span>Id (empty: a generated one)</span>
          <input
            value={newId}
            onChange={(event) => setNewId(event.target.value)}
            pattern="[A-Za-z0-9_\-]{1,128}"
            spellCheck={false}
            autoComplete="off"
          />
        </label>
      )}
      {(isNew || base) && (
        <div className="field">
          <span>Data (JSON){schema ? ', checked against the collection’s JSON Schema' : ''}</span>
          <CodeEditor
            value={text}
            onChange={(value) => {
              // A text set from here (a load, a save) comes back through the editor: not an edit.
              if (value === text) return
              setText(value)
              setServerIssues([])
              setStatus('')
            }}
            language="json"
            label={`${title} data (JSON)`}
            problems={problems}
            readOnly={!writable}
            minHeight="14rem"
          />
        </div>
      )}
      {problems.length > 0 && (
        <ul className="problems" aria-label="Problems in the document">
          {problems.map((problem, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: problems are recomputed whole on each change.
            <li key={i}>{problem.message}</li>
          ))}
        </ul>
      )}
      {conflict && base && (
        <ConflictPanel
          base={base}
          theirs={conflict.theirs}
          mine={checked.data}
          busy={save.isPending}
          onReload={() => {
            if (conflict.theirs) {
              client.setQueryData(['document', collection, conflict.theirs.id], conflict.theirs)
              patchDocument(client, conflict.theirs)
              adopt(conflict.theirs)
            } else {
              dropDocuments(client, collection, [base.id])
              onClose()
            }
          }}
          onOverwrite={() =>
            save.mutate(conflict.theirs ? { version: conflict.theirs.version } : { version: undefined })
          }
        />
      )}
      <ErrorNotice error={save.error} title="Saving" />
      <ErrorNotice error={remove.error} title="Deleting" />
      <p className="status-line" role="status">
        {status}
      </p>
      {writable ? (
        <div className="form-actions">
          <button type="button" className="primary" disabled={!canSave} onClick={() => save.mutate({})}>
            {save.isPending ? 'Saving…' : isNew ? 'Create document' : 'Save'}
          </button>
          {!isNew && base && (
            <>
              <button type="button" disabled={!dirty || save.isPending} onClick={() => adopt(base)}>
                Revert
              </button>
              <ConfirmButton
                onConfirm={() => remove.mutate()}
                disabled={remove.isPending}
                confirmLabel="Press again to delete"
              >
                Delete document
              </ConfirmButton>
            </>
          )}
          {checked.data === null && (
            <span className="muted">
              {problems.length} problem{problems.length === 1 ? '' : 's'} to fix before saving
            </span>
          )}
        </div>
      ) : (
        <p className="muted">Viewers can read documents but not change them.</p>
      )}
    </section>
  )
}
