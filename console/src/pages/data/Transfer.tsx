import { useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useRef, useState } from 'react'
import {
  batch,
  type Document,
  failedIndex,
  MAX_BATCH,
  type OrderClause,
  queryDocuments,
  type WhereClause,
  writeErrorText,
} from '../../api/data.ts'
import { ErrorNotice } from '../../ui/ErrorNotice.tsx'
import { number } from '../../ui/format.ts'
import { type ImportReport, runImport } from './import-runner.ts'
import { documentsToCsv, documentsToJson, type ParsedImport, parseImport } from './transfer.ts'
import { restartDocuments } from './use-documents.ts'

/** Documents per request while exporting: the API's most. */
const EXPORT_PAGE = 1000

function download(name: string, type: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type }))
  const link = document.createElement('a')
  link.href = url
  link.download = name
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)

/** Every document of the current query, page after page (the grid need not have loaded them). */
export function ExportButtons({
  collection,
  where,
  orderBy,
}: {
  collection: string
  where: readonly WhereClause[]
  orderBy: readonly OrderClause[]
}) {
  const [progress, setProgress] = useState<string>('')
  const [error, setError] = useState<unknown>(null)
  const running = useRef<AbortController | null>(null)
  const [busy, setBusy] = useState(false)

  async function run(format: 'json' | 'csv') {
    const controller = new AbortController()
    running.current = controller
    setBusy(true)
    setError(null)
    const docs: Document[] = []
    try {
      let cursor: string | null = null
      do {
        const page = await queryDocuments(
          collection,
          { where: [...where], orderBy: [...orderBy], limit: EXPORT_PAGE, cursor },
          controller.signal,
        )
        docs.push(...page.documents)
        cursor = page.nextCursor
        setProgress(`Exporting: ${number(docs.length)} documents read…`)
      } while (cursor)
      const name = `${collection}-${stamp()}.${format}`
      if (format === 'json') download(name, 'application/json', documentsToJson(docs))
      else download(name, 'text/csv', documentsToCsv(docs))
      setProgress(`Exported ${number(docs.length)} documents as ${format.toUpperCase()} (${name}).`)
    } catch (caught) {
      if (controller.signal.aborted) setProgress(`Export cancelled after ${number(docs.length)} documents.`)
      else {
        setError(caught)
        setProgress('')
      }
    } finally {
      running.current = null
      setBusy(false)
    }
  }

  return (
    <div className="transfer">
      <button type="button" onClick={() => void run('json')} disabled={busy}>
        Export JSON
      </button>
      <button type="button" onClick={() => void run('csv')} disabled={busy}>
        Export CSV
      </button>
      {busy && (
        <button type="button" onClick={() => running.current?.abort()}>
          Cancel export
        </button>
      )}
      <span className="status-line" role="status">
        {progress}
      </span>
      <ErrorNotice error={error} title="Export" />
    </div>
  )
}

/**
 * Imports a JSON or CSV file (the formats the export writes) in batches of writes; rows the server
 * refuses are listed with their line and reason, the rest are written.
 */
export function ImportPanel({ collection, onClose }: { collection: string; onClose: () => void }) {
  const client = useQueryClient()
  const [file, setFile] = useState<File | null>(null)
  const [mode, setMode] = useState<'set' | 'create'>('set')
  const [progress, setProgress] = useState('')
  const [parsed, setParsed] = useState<ParsedImport | null>(null)
  const [report, setReport] = useState<ImportReport | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)

  async function submit(event: FormEvent) {
    event.preventDefault()
    if (!file) return
    setBusy(true)
    setError(null)
    setReport(null)
    try {
      const read = parseImport(file.name, await file.text())
      setParsed(read)
      setProgress(`Writing ${number(read.rows.length)} documents…`)
      const result = await runImport(read.rows, {
        collection,
        mode,
        chunk: MAX_BATCH,
        commit: batch,
        failedIndex,
        describe: writeErrorText,
        onProgress: (done, total) => setProgress(`Written ${number(done)} of ${number(total)}…`),
      })
      setReport(result)
      setProgress('')
      await restartDocuments(client, collection)
    } catch (caught) {
      setError(caught)
      setProgress('')
    } finally {
      setBusy(false)
    }
  }

  const failures = [
    ...(parsed?.errors ?? []).map((e) => ({
      line: e.line,
      id: undefined as string | undefined,
      message: e.message,
    })),
    ...(report?.failed ?? []),
  ].sort((a, b) => a.line - b.line)
  return (
    <form className="panel import-panel" onSubmit={submit} aria-labelledby="import-title">
      <div className="panel-head">
        <h2 id="import-title">Import documents</h2>
        <button type="button" onClick={onClose}>
          Close import
        </button>
      </div>
      <p className="muted">
        JSON: an array of documents as exported (<code>{'{id, data}'}</code>) or of plain objects (each a new
        document). CSV: a header row; an <code>id</code> column names documents, other columns are data fields
        (cells holding JSON are read as JSON).
      </p>
      <div className="field-row">
        <label className="field">
          <span>File (.json or .csv)</span>
          <input
            type="file"
            accept=".json,.csv,application/json,text/csv"
            onChange={(event) => {
              setFile(event.target.files?.[0] ?? null)
              setReport(null)
              setParsed(null)
            }}
          />
        </label>
        <label className="field">
          <span>When an id exists</span>
          <select value={mode} onChange={(event) => setMode(event.target.value as 'set' | 'create')}>
            <option value="set">replace the document</option>
            <option value="create">keep it (report the row as failed)</option>
          </select>
        </label>
      </div>
      <div className="form-actions">
        <button type="submit" className="primary" disabled={!file || busy}>
          {busy ? 'Importing…' : 'Import'}
        </button>
        <span className="status-line" role="status">
          {progress}
        </span>
      </div>
      <ErrorNotice error={error} title="Import" />
      {report && (
        <div className={failures.length ? 'notice notice-warn' : 'notice notice-ok'} role="status">
          Imported {number(report.written)} document{report.written === 1 ? '' : 's'}
          {failures.length > 0 ? `; ${number(failures.length)} failed (below).` : '.'}
        </div>
      )}
      {failures.length > 0 && (
        <table className="table import-failures">
          <caption className="visually-hidden">Rows that were not imported</caption>
          <thead>
            <tr>
              <th scope="col">{file && /\.csv$/i.test(file.name) ? 'Line' : 'Entry'}</th>
              <th scope="col">Id</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {failures.slice(0, 200).map((failure) => (
              <tr key={`${failure.line}-${failure.id ?? ''}`}>
                <td>{failure.line}</td>
                <td className="mono">{failure.id ?? '—'}</td>
                <td>{failure.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </form>
  )
}
