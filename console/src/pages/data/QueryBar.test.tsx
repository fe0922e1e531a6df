import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import { QueryBar } from './QueryBar.tsx'

describe('QueryBar', () => {
  it('turns filter rows and a sort into the where and orderBy JSON the API takes', async () => {
    const onApply = vi.fn()
    render(<QueryBar where={[]} orderBy={[]} fields={['status', 'score']} onApply={onApply} />)
    const user = userEvent.setup({ delay: null })
    await user.click(screen.getByRole('button', { name: 'Add filter' }))
    await user.type(screen.getByLabelText('Filter 1 field'), 'status')
    await user.type(screen.getByLabelText('Filter 1 value'), 'open')
    await user.click(screen.getByRole('button', { name: 'Add filter' }))
    await user.type(screen.getByLabelText('Filter 2 field'), 'score')
    await user.selectOptions(screen.getByLabelText('Filter 2 operator'), '>=')
    await user.type(screen.getByLabelText('Filter 2 value'), '10')
    await user.click(screen.getByRole('button', { name: 'Add filter' }))
    await user.type(screen.getByLabelText('Filter 3 field'), 'tags')
    await user.selectOptions(screen.getByLabelText('Filter 3 operator'), 'array-contains-any')
    await user.type(screen.getByLabelText('Filter 3 value'), 'a, b')
    expect(screen.getByTestId('where-json').textContent).toBe(
      'where=[["status","==","open"],["score",">=",10],["tags","array-contains-any",["a","b"]]]',
    )
    await user.type(screen.getByLabelText('Sort by field'), 'score')
    await user.selectOptions(screen.getByLabelText('Sort direction'), 'desc')
    await user.click(screen.getByRole('button', { name: 'Apply' }))
    expect(onApply).toHaveBeenCalledWith(
      [
        ['status', '==', 'open'],
        ['score', '>=', 10],
        ['tags', 'array-contains-any', ['a', 'b']],
      ],
      [['score', 'desc']],
    )
  })

  it('shows an applied query as rows, and will not apply a row it cannot send', async () => {
    const onApply = vi.fn()
    render(<QueryBar where={[['n', 'in', [1, 2]]]} orderBy={[]} fields={[]} onApply={onApply} />)
    expect((screen.getByLabelText('Filter 1 value') as HTMLInputElement).value).toBe('[1,2]')
    const user = userEvent.setup({ delay: null })
    await user.clear(screen.getByLabelText('Filter 1 field'))
    expect(screen.getByText('Name a field')).toBeTruthy()
    expect((screen.getByRole('button', { name: 'Apply' }) as HTMLButtonElement).disabled).toBe(true)
    await user.click(screen.getByRole('button', { name: 'Remove filter 1' }))
    await user.click(screen.getByRole('button', { name: 'Apply' }))
    expect(onApply).toHaveBeenCalledWith([], [])
  })
})
