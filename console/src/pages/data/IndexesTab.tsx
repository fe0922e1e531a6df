import { useMutation, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import {
  type CollectionInfo,
  type IndexDeclaration,
  type IndexField,
  inputOf,
  saveCollection,
} from '../../api/data.ts'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'

/** An index's fields, whether declared as one `[path, dir]` or as a list of them. */
export function fieldsOf(index: IndexDeclaration): IndexField[] {
  return typeof index[0] === 'string' ? [index as IndexField] : (index as IndexField[])
}

/** How an index is declared: one field alone, several as a list. */
function declare(fields: IndexField[]): IndexDeclaration {
  return fields.length === 1 ? fields[0]! : fields
}

const describe = (index: IndexDeclaration) =>
  fieldsOf(index)
    .map(([path, dir]) => `${path} ${dir}`)
    .join(', ')

/**
 * Declared indexes (services/documents/indexes.ts): each an index on one field or several in order,
 * built before the configuration is saved. Queries work without them, by scanning; an index makes a
 * filter or sort on a large collection fast.
 */
export function IndexesTab({ info, writable }: { info: CollectionInfo; writable: boolean }) {
  const client = useQueryClient()
  const [indexes, setIndexes] = useState<IndexDeclaration[]>(info.indexes)
  const [fields, setFields] = useState<IndexField[]>([['', 'asc']])
  const dirty = JSON.stringify(indexes) !== JSON.stringify(info.indexes)

  const save = useMutation({
    mutationFn: () => saveCollection(info, { ...inputOf(info), indexes }),
    onSuccess: async (saved) => {
      client.setQueryData(['collection', info.name], saved)
      setIndexes(saved.indexes)
      await client.invalidateQueries({ queryKey: ['collections'] })
    },
  })

  function add(event: FormEvent) {
    event.preventDefault()
    const clean = fields
      .filter(([path]) => path.trim() !== '')
      .map(([path, dir]): IndexField => [path.trim(), dir])
    if (clean.length === 0) return
    setIndexes((current) => [...current, declare(clean)])
    setFields([['', 'asc']])
  }

  return (
    <section aria-labelledby="indexes-title">
      <h2 id="indexes-title" className="visually-hidden">
        Indexes
      </h2>
      <p className="muted">
        An index makes filters and sorts on its fields fast on a large collection; queries without one still
        work, by scanning. Fields are data paths (<code>address.city</code>) or <code>$createdAt</code>,{' '}
        <code>$updatedAt</code>, <code>$id</code>. Saving builds new indexes first, which takes a while on
        many documents.
      </p>
      <table className="table indexes">
        <thead>
          <tr>
            <th scope="col">Index</th>
            {writable && <th scope="col">Action</th>}
          </tr>
        </thead>
        <tbody>
          {indexes.map((index) => (
            <tr key={describe(index)}>
              <td className="mono">{describe(index)}</td>
              {writable && (
                <td>
                  <button
                    type="button"
                    aria-label={`Remove index ${describe(index)}`}
                    onClick={() => setIndexes((current) => current.filter((other) => other !== index))}
                  >
                    Remove
                  </button>
                </td>
              )}
            </tr>
          ))}
          {indexes.length === 0 && (
            <tr>
              <td colSpan={writable ? 2 : 1} className="muted">
                No declared indexes.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {writable ? (
        <>
          <form className="index-form" onSubmit={add} aria-label="New index">
            {fields.map(([path, dir], i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: the fields of the index being built, by place.
              <span className="index-field" key={i}>
                <input
                  aria-label={`Index field ${i + 1}`}
                  placeholder="field path"
                  value={path}
                  onChange={(event) =>
                    setFields((current) =>
                      current.map((f, j): IndexField => (j === i ? [event.target.value, f[1]] : f)),
                    )
                  }
                  spellCheck={false}
                />
                <select
                  aria-label={`Index field ${i + 1} direction`}
                  value={dir}
                  onChange={(event) =>
                    setFields((current) =>
                      current.map(
                        (f, j): IndexField => (j === i ? [f[0], event.target.value as 'asc' | 'desc'] : f),
                      ),
                    )
                  }
                >
                  <option value="asc">asc</option>
                  <option value="desc">desc</option>
                </select>
              </span>
            ))}
            <button type="button" onClick={() => setFields((current) => [...current, ['', 'asc']])}>
              Add a field (composite)
            </button>
            <button type="submit">Add index</button>
          </form>
          <div className="form-actions">
            <button
              type="button"
              className="primary"
              disabled={!dirty || save.isPending}
              onClick={() => save.mutate()}
            >
              {save.isPending ? 'Building and saving…' : 'Save indexes'}
            </button>
            <button
              type="button"
              disabled={!dirty || save.isPending}
              onClick={() => setIndexes(info.indexes)}
            >
              Reset
            </button>
          </div>
        </>
      ) : (
        <p className="muted">Viewers can read the indexes but not change them.</p>
      )}
      <ErrorNotice error={save.error} title="Saving the indexes" />
      {save.isSuccess && !dirty && (
        <p className="notice notice-ok" role="status">
          Indexes saved (configuration version {save.data.version}).
        </p>
      )}
    </section>
  )
}
