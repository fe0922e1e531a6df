import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useNavigate } from '@tanstack/react-router'
import { type FormEvent, useMemo, useState } from 'react'
import { type CollectionInfo, type JsonSchema, putCollection } from '../../api/data.ts'
import { CodeEditor, type CodeProblem } from '../../ui/CodeEditor.tsx'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { locateJson } from './json-locate.ts'
import { RULE_PRESETS, type RulePreset } from './rule-summary.ts'

const NAME = /^[A-Za-z0-9_-]{1,128}$/

/** A schema typed in a JSON editor: empty for none, else a JSON object (with problems marked). */
export function parseSchemaText(text: string): { schema: JsonSchema | null; problems: CodeProblem[] } {
  if (text.trim() === '') return { schema: null, problems: [] }
  const parsed = locateJson(text)
  if (!parsed.ok) return { schema: null, problems: [{ message: parsed.message, offset: parsed.offset }] }
  if (typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
    return { schema: null, problems: [{ message: 'A JSON Schema is a JSON object: {…}', offset: 0 }] }
  }
  return { schema: parsed.value as JsonSchema, problems: [] }
}

/** Creates a collection: its name, rules from a preset (edited later on its Rules tab), a schema if any. */
export function NewCollectionForm({
  existing,
  onClose,
}: {
  existing: readonly CollectionInfo[]
  onClose: () => void
}) {
  const client = useQueryClient()
  const navigate = useNavigate()
  const [name, setName] = useState('')
  const [preset, setPreset] = useState<RulePreset>('locked')
  const [schemaText, setSchemaText] = useState('')
  const [touched, setTouched] = useState(false)
  const schema = useMemo(() => parseSchemaText(schemaText), [schemaText])

  const nameError = !NAME.test(name)
    ? 'A name is 1-128 letters, digits, _ or -'
    : existing.some((c) => c.name === name)
      ? `${name} exists already: open it to change its rules`
      : null

  const create = useMutation({
    mutationFn: () =>
      putCollection(name, { rules: { ...RULE_PRESETS[preset].rules }, schema: schema.schema, indexes: [] }),
    onSuccess: async (info) => {
      await client.invalidateQueries({ queryKey: ['collections'] })
      client.setQueryData(['collection', info.name], info)
      onClose()
      await navigate({ to: '/data/$collection', params: { collection: info.name } })
    },
  })

  function submit(event: FormEvent) {
    event.preventDefault()
    setTouched(true)
    if (nameError || schema.problems.length > 0) return
    create.mutate()
  }

  return (
    <form className="panel new-collection" onSubmit={submit} aria-labelledby="new-collection-title">
      <h2 id="new-collection-title">New collection</h2>
      <div className="field-row">
        <label className="field">
          <span>Name</span>
          <input
            value={name}
            onChange={(event) => setName(event.target.value)}
            aria-invalid={touched && nameError !== null}
            aria-describedby="new-collection-name-hint"
            autoComplete="off"
            spellCheck={false}
          />
        </label>
        <label className="field grow">
          <span>Rules to start from</span>
          <select value={preset} onChange={(event) => setPreset(event.target.value as RulePreset)}>
            {Object.entries(RULE_PRESETS).map(([key, value]) => (
              <option key={key} value={key}>
                {value.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p id="new-collection-name-hint" className={touched && nameError ? 'field-error' : 'muted'}>
        {touched && nameError ? nameError : 'Letters, digits, _ and -. Rules can be edited once it exists.'}
      </p>
      <div className="field">
        <span id="new-collection-schema-label">JSON Schema for documents (optional)</span>
        <CodeEditor
          value={schemaText}
          onChange={setSchemaText}
          language="json"
          label="JSON Schema for documents (optional)"
          problems={schema.problems}
          minHeight="6rem"
        />
      </div>
      <ErrorNotice error={create.error} title="Creating the collection" />
      <div className="form-actions">
        <button type="submit" className="primary" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create collection'}
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  )
}
