import { render, screen, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import type { Simulation } from '../../api/rules.ts'
import { Verdict } from './Verdict.tsx'

const RULE = 'auth != null && auth.uid == doc.owner'
const at = (offset: number) => ({ line: 1, column: offset + 1, offset })

describe('Verdict', () => {
  it('says denied, marks the side of && that decided, and lists the values read', () => {
    const simulation: Simulation = {
      allowed: false,
      rule: RULE,
      action: 'read',
      explanation: 'The read rule denies reading: `auth != null` is false',
      decidedBy: { expression: 'auth != null', start: at(0), end: at(12), value: false },
      bindings: { auth: null },
      missing: [],
      auth: null,
    }
    render(<Verdict simulation={simulation} />)
    expect(screen.getByRole('heading', { name: /Verdict/ }).textContent).toBe('Verdict: denied')
    const rule = screen.getByTestId('deciding-rule')
    expect(rule.textContent).toBe(RULE)
    expect(within(rule).getByText('auth != null').tagName).toBe('MARK')
    const table = screen.getByRole('table', { name: 'Values the rule read' })
    expect(within(table).getByRole('rowheader', { name: 'auth' })).toBeTruthy()
    expect(within(table).getByText('null')).toBeTruthy()
    expect(screen.getByText(/denies reading/)).toBeTruthy()
  })

  it('says allowed with every binding, and shows missing paths and a list that depends on each item', () => {
    const simulation: Simulation = {
      allowed: true,
      rule: RULE,
      action: 'read',
      fallback: 'list uses the read rule',
      explanation: 'The read rule allows reading',
      decidedBy: { expression: RULE, start: at(0), end: at(RULE.length), value: true },
      bindings: { auth: { uid: 'u1' }, 'auth.uid': 'u1', 'doc.owner': 'u1' },
      missing: ['doc.team'],
      perItem: true,
    }
    render(<Verdict simulation={simulation} />)
    expect(screen.getByText('allowed')).toBeTruthy()
    expect(screen.getByText(/list uses the read rule/)).toBeTruthy()
    const table = screen.getByRole('table', { name: 'Values the rule read' })
    const rows = within(table).getAllByRole('row')
    expect(rows.map((row) => row.textContent)).toEqual([
      'PathValue',
      'auth{"uid":"u1"}',
      'auth.uid"u1"',
      'doc.owner"u1"',
      'doc.teammissing reading it fails, so the rule denies',
    ])
    expect(screen.getByText(/depends on each document/)).toBeTruthy()
  })

  it('marks where a stored rule that no longer compiles fails', () => {
    render(
      <Verdict
        simulation={{
          allowed: false,
          rule: 'auth.uid ==',
          action: 'read',
          explanation: 'The stored read rule does not compile, so it denies reading',
          bindings: {},
          error: { message: 'Unexpected end of input', position: at(11) },
        }}
      />,
    )
    expect(screen.getByText('denied')).toBeTruthy()
    expect(screen.getByText(/Line 1, column 12: Unexpected end of input/)).toBeTruthy()
    expect(screen.getByText('The rule read no values.')).toBeTruthy()
  })

  it('explains a verdict no expression made', () => {
    render(
      <Verdict
        simulation={{
          allowed: false,
          rule: null,
          action: null,
          explanation: 'The collection has no rules: only the service key and admins may use it',
          bindings: {},
        }}
      />,
    )
    expect(screen.getByText(/No expression decided/)).toBeTruthy()
  })
})
