import type { Simulation } from '../../api/rules.ts'
import { splitRule } from './simulation.ts'

/** A value as the bindings table shows it: JSON, so a string reads "x" and null reads null. */
function shown(value: unknown): string {
  return value === undefined ? 'undefined' : (JSON.stringify(value) ?? String(value))
}

/** Text with `backticked` parts as code, as the server's explanations quote expressions. */
export function WithCode({ text }: { text: string }) {
  return (
    <>
      {text.split('`').map((part, i) =>
        // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one fixed string, in order.
        i % 2 === 1 ? <code key={i}>{part}</code> : <span key={i}>{part}</span>,
      )}
    </>
  )
}

/** The rule with the part that decided marked (or, for a rule that failed, the place it failed). */
function RuleText({ simulation }: { simulation: Simulation }) {
  const rule = simulation.rule
  if (rule === null) return <p className="muted">No expression decided.</p>
  const decided = simulation.decidedBy
  const failed = simulation.error
  const [before, part, after] = decided
    ? splitRule(rule, decided.start.offset, decided.end.offset)
    : failed
      ? splitRule(rule, failed.position.offset, failed.end?.offset ?? failed.position.offset + 1)
      : [rule, '', '']
  return (
    <figure className="rule-text">
      <figcaption>
        The {simulation.action ?? ''} rule{simulation.fallback ? ` (${simulation.fallback})` : ''}
        {decided && part !== rule ? ', with the part that decided marked' : ''}
      </figcaption>
      <pre data-testid="deciding-rule">
        <code>
          {before}
          {part && (
            <mark
              className={failed && !decided ? 'rule-error-mark' : 'rule-decided'}
              title="This part decided"
            >
              {part}
            </mark>
          )}
          {after}
        </code>
      </pre>
      {decided && (
        <p className="muted">
          <code>{decided.expression}</code> is <strong>{shown(decided.value)}</strong>
        </p>
      )}
      {failed && (
        <p className="field-error">
          Line {failed.position.line}, column {failed.position.column}: {failed.message}
        </p>
      )}
    </figure>
  )
}

/** The simulator's answer: the verdict word, the rule that decided (marked), the values it read. */
export function Verdict({ simulation }: { simulation: Simulation }) {
  const word = simulation.allowed ? 'allowed' : 'denied'
  const bindings = Object.entries(simulation.bindings)
  const missing = simulation.missing ?? []
  return (
    <section className={`panel verdict verdict-${word}`} aria-labelledby="verdict-title">
      <h2 id="verdict-title">
        Verdict:{' '}
        <span className={`verdict-word badge badge-${simulation.allowed ? 'ok' : 'down'}`}>{word}</span>
      </h2>
      {simulation.explanation && (
        <p className="verdict-explanation">
          <WithCode text={simulation.explanation} />
        </p>
      )}
      {simulation.perItem && (
        <p className="notice notice-warn">
          The rule depends on each document: a list runs, and leaves out what the rule refuses. Name a
          document (id) to see its verdict.
        </p>
      )}
      <RuleText simulation={simulation} />
      <h3 id="bindings-title">Values the rule read</h3>
      {bindings.length === 0 && missing.length === 0 ? (
        <p className="muted">The rule read no values.</p>
      ) : (
        <table className="table bindings" aria-labelledby="bindings-title">
          <thead>
            <tr>
              <th scope="col" className="path-column">
                Path
              </th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {bindings.map(([path, value]) => (
              <tr key={path}>
                <th scope="row" className="mono">
                  {path}
                </th>
                <td className="mono">{shown(value)}</td>
              </tr>
            ))}
            {missing.map((path) => (
              <tr key={`missing-${path}`}>
                <th scope="row" className="mono">
                  {path}
                </th>
                <td>
                  <span className="badge badge-down">missing</span>{' '}
                  <span className="muted">reading it fails, so the rule denies</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {simulation.auth !== undefined && (
        <details className="seen-auth">
          <summary className="seen-auth-summary">The caller as the rule saw it</summary>
          <pre>
            <code>
              {simulation.auth === null ? 'null (anonymous)' : JSON.stringify(simulation.auth, null, 2)}
            </code>
          </pre>
        </details>
      )}
    </section>
  )
}
