import { render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { AuditDiff } from './AuditDiff.tsx'
import { auditDiff, diffSummary, flatten } from './audit-diff.ts'

const bucketBefore = {
  name: 'media',
  public: false,
  rules: { read: 'auth != null' },
  maxFileSize: null,
  allowedContentTypes: [],
  createdAt: '2026-01-01T00:00:00.000Z',
}
const bucketAfter = {
  public: true,
  rules: { read: 'true', write: 'auth != null' },
  allowedContentTypes: ['image/*'],
}

describe('auditDiff', () => {
  it('flattens nested values to dotted paths, keeping empty containers as leaves', () => {
    expect([...flatten({ a: { b: 1, c: [] }, d: [{ e: 'x' }], f: {} })]).toEqual([
      ['a.b', 1],
      ['a.c', []],
      ['d[0].e', 'x'],
      ['f', {}],
    ])
    expect([...flatten('plain')]).toEqual([['', 'plain']])
  })

  it('compares a PUT body with the resource it replaced, field by field', () => {
    const rows = auditDiff(bucketBefore, bucketAfter)
    const byPath = Object.fromEntries(rows.map((row) => [row.path, row]))
    expect(byPath.public).toEqual({ path: 'public', kind: 'changed', before: false, after: true })
    expect(byPath['rules.read']).toMatchObject({ kind: 'changed', before: 'auth != null', after: 'true' })
    expect(byPath['rules.write']).toEqual({ path: 'rules.write', kind: 'added', after: 'auth != null' })
    expect(byPath.allowedContentTypes).toMatchObject({ kind: 'not-sent', before: [] })
    expect(byPath['allowedContentTypes[0]']).toMatchObject({ kind: 'added', after: 'image/*' })
    expect(byPath.name).toMatchObject({ kind: 'not-sent' })
    expect(diffSummary(rows)).toBe('2 changed, 2 added, 4 not sent')
  })

  it('compares with the resource inside a GET answer that wraps it', () => {
    const before = { admin: { id: 'a1', email: 'dev@x.y', role: 'developer', mfa: false } }
    const rows = auditDiff(before, { role: 'viewer' })
    expect(rows.find((row) => row.path === 'role')).toEqual({
      path: 'role',
      kind: 'changed',
      before: 'developer',
      after: 'viewer',
    })
    expect(rows.filter((row) => row.kind === 'not-sent').map((row) => row.path)).toEqual([
      'id',
      'email',
      'mfa',
    ])
    // A body that names the wrapper is compared as it is; so is a wrapper of several fields.
    expect(auditDiff(before, { admin: { role: 'viewer' } })[2]).toMatchObject({
      path: 'admin.role',
      kind: 'changed',
    })
    expect(auditDiff({ a: 1, b: 2 }, { a: 3 })[0]).toMatchObject({ path: 'a', kind: 'changed' })
  })

  it('calls everything added for a create, removed for a delete, and sees equal values as unchanged', () => {
    expect(auditDiff(undefined, { email: 'a@b.c', role: 'developer' }).map((row) => row.kind)).toEqual([
      'added',
      'added',
    ])
    expect(auditDiff({ email: 'a@b.c' }, undefined)).toEqual([
      { path: 'email', kind: 'removed', before: 'a@b.c' },
    ])
    expect(auditDiff({ role: 'viewer' }, { role: 'viewer' })[0]!.kind).toBe('unchanged')
    expect(auditDiff(undefined, undefined)).toEqual([])
  })
})

describe('AuditDiff', () => {
  it('shows the changes, folds unchanged fields until asked, and shows both sides as JSON', async () => {
    render(<AuditDiff before={bucketBefore} after={bucketAfter} />)
    const table = screen.getByRole('table')
    const row = (path: string) =>
      within(table)
        .getByRole('rowheader', { name: new RegExp(`^.?${path.replace(/[[\].]/g, '\\$&')} \\(`) })
        .closest('tr')!
    expect(row('public').dataset.kind).toBe('changed')
    expect(
      within(row('public'))
        .getAllByRole('cell')
        .map((cell) => cell.textContent),
    ).toEqual(['false', 'true'])
    expect(
      within(row('rules.write'))
        .getAllByRole('cell')
        .map((cell) => cell.textContent),
    ).toEqual(['', '"auth != null"'])
    // The change is named in words for screen readers, not only by colour and sign.
    expect(within(row('rules.read')).getByRole('rowheader').textContent).toContain('(changed)')
    expect(within(table).queryByText('name', { exact: false })).toBeNull()

    await userEvent.click(screen.getByRole('button', { name: 'Show 4 unchanged or unsent fields' }))
    expect(row('name').dataset.kind).toBe('not-sent')
    expect(
      within(row('name'))
        .getAllByRole('cell')
        .map((cell) => cell.textContent),
    ).toEqual(['"media"', 'not sent'])

    await userEvent.click(screen.getByRole('button', { name: 'Raw JSON' }))
    expect(screen.getByLabelText('Before').textContent).toContain('"createdAt": "2026-01-01T00:00:00.000Z"')
    expect(screen.getByLabelText('After (request body)').textContent).toContain('"write": "auth != null"')
  })

  it('says when nothing was recorded', () => {
    render(<AuditDiff before={undefined} after={undefined} />)
    expect(screen.getByText('Nothing was recorded for this change.')).toBeTruthy()
  })
})
