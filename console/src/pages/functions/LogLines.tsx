import type { Execution } from '../../api/functions.ts'
import { ScrollBlock } from './ScrollBlock.tsx'

function clock(iso: string): string {
  const date = new Date(iso)
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleTimeString(undefined, {
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23',
        fractionalSecondDigits: 3,
      })
}

/** An execution's `ctx.log` lines and, when it failed, its error with the stack. */
export function LogLines({ logs, error }: { logs: Execution['logs']; error?: Execution['error'] }) {
  return (
    <>
      {logs.length === 0 ? (
        <p className="muted">No log lines.</p>
      ) : (
        <ScrollBlock label="Logs">
          <ol className="log-lines" aria-label="Log lines">
            {logs.map((line, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: log lines never move; two may be identical.
              <li key={i} className={`log-${line.level}`}>
                <time dateTime={line.time}>{clock(line.time)}</time>
                <span className="log-level">{line.level}</span>
                <span className="log-msg">{line.msg}</span>
              </li>
            ))}
          </ol>
        </ScrollBlock>
      )}
      {error && (
        <div className="execution-error">
          <strong>
            {error.name ?? 'Error'}: {error.message ?? ''}
          </strong>
          {error.stack && (
            <ScrollBlock label="Stack">
              <pre className="code-block">{error.stack}</pre>
            </ScrollBlock>
          )}
        </div>
      )}
    </>
  )
}
