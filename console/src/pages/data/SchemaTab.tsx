import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useMemo, useState } from 'react'
import { type CollectionInfo, inputOf, queryDocuments, saveCollection } from '../../api/data.ts'
import { CodeEditor } from '../../ui/CodeEditor.tsx'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { number } from '../../ui/format.ts'
import { isSchema, validateSchema } from './json-schema.ts'
import { parseSchemaText } from './NewCollectionForm.tsx'

/** Documents a dry run checks: enough to catch a mistake, one request. */
const TRY_ON = 500

const textOf = (schema: unknown) => (schema ? JSON.stringify(schema, null, 2) : '')

/**
 * The collection's JSON Schema (draft-07): edited as JSON, tried on stored documents before saving
 * (the server then refuses writes that violate it with 422 `db/validation-failed`). Empty = no schema.
 */
export function SchemaTab({ info, writable }: { info: CollectionInfo; writable: boolean }) {
  const client = useQueryClient()
  const initial = useMemo(() => textOf(info.schema), [info.schema])
  const [text, setText] = useState(initial)
  const parsed = useMemo(() => parseSchemaText(text), [text])
  const dirty = text !== initial

  const dryRun = useMutation({
    mutationFn: async () => {
      const { documents } = await queryDocuments(info.name, { limit: TRY_ON })
      const schema = parsed.schema
      const failing =
        schema && isSchema(schema)
          ? documents
              .map((doc) => ({ id: doc.id, errors: validateSchema(schema, doc.data) }))
              .filter((result) => result.errors.length > 0)
          : []
      return { checked: documents.length, failing }
    },
  })

  const save = useMutation({
    mutationFn: () => saveCollection(info, { ...inputOf(info), schema: parsed.schema }),
    onSuccess: async (saved) => {
      client.setQueryData(['collection', info.name], saved)
      setText(textOf(saved.schema))
      await client.invalidateQueries({ queryKey: ['collections'] })
    },
  })

  return (
    <section aria-labelledby="schema-title">
      <h2 id="schema-title" className="visually-hidden">
        Schema
      </h2>
      <p className="muted">
        JSON Schema (draft-07) for each document’s <code>data</code>; writes that violate it are refused, the
        service key’s included. Leave it empty for no schema.
      </p>
      <CodeEditor
        value={text}
        onChange={setText}
        language="json"
        label="JSON Schema"
        problems={parsed.problems}
        readOnly={!writable}
        minHeight="16rem"
      />
      {parsed.problems.map((problem) => (
        <p key={problem.message} className="field-error">
          {problem.message}
        </p>
      ))}
      <div className="form-actions">
        <button
          type="button"
          onClick={() => dryRun.mutate()}
          disabled={parsed.problems.length > 0 || !parsed.schema || dryRun.isPending}
        >
          {dryRun.isPending ? 'Checking…' : `Try on the first ${TRY_ON} documents`}
        </button>
        {writable && (
          <>
            <button
              type="button"
              className="primary"
              disabled={!dirty || parsed.problems.length > 0 || save.isPending}
              onClick={() => save.mutate()}
            >
              {save.isPending ? 'Saving…' : parsed.schema ? 'Save schema' : 'Save (no schema)'}
            </button>
            <button type="button" disabled={!dirty} onClick={() => setText(initial)}>
              Reset
            </button>
          </>
        )}
      </div>
      {!writable && <p className="muted">Viewers can read the schema but not change it.</p>}
      <ErrorNotice error={dryRun.error} title="Trying the schema" />
      {dryRun.data && (
        <div className={dryRun.data.failing.length ? 'notice notice-warn' : 'notice notice-ok'} role="status">
          {dryRun.data.failing.length === 0
            ? `All ${number(dryRun.data.checked)} documents checked pass.`
            : `${number(dryRun.data.failing.length)} of ${number(dryRun.data.checked)} documents checked would not pass:`}
          {dryRun.data.failing.length > 0 && (
            <ul>
              {dryRun.data.failing.slice(0, 10).map((result) => (
                <li key={result.id}>
                  <code>{result.id}</code>: {result.errors[0]!.instancePath || 'the document'}{' '}
                  {result.errors[0]!.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <ErrorNotice error={save.error} title="Saving the schema" />
      {save.isSuccess && !dirty && (
        <p className="notice notice-ok" role="status">
          Schema saved (configuration version {save.data.version}).
        </p>
      )}
    </section>
  )
}
