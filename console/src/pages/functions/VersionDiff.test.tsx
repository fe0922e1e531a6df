import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render, screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { useState } from 'react'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { VersionDetail, VersionSummary } from '../../api/functions.ts'
import './test-dom.ts'

const getVersion = vi.hoisted(() => vi.fn())
vi.mock('../../api/functions.ts', async (original) => ({
  ...(await original<typeof import('../../api/functions.ts')>()),
  getVersion,
}))

const { defaultPair, VersionDiff } = await import('./VersionDiff.tsx')

const LIMITS = { timeoutMs: 10_000, memoryMb: 128, concurrency: 10, retries: 2 }
const CODE: Record<number, string> = {
  1: 'export default async () => 1\n',
  2: 'export default async () => 2\n',
  3: "export default async (event, ctx) => {\n  ctx.log.info('three')\n  return 3\n}\n",
}
function detail(version: number, compareTo?: number): VersionDetail {
  return {
    name: 'hello',
    version,
    live: version === 3,
    createdAt: '2026-12-07T10:00:00.000Z',
    code: CODE[version]!,
    env: { API_URL: '••••' },
    triggers: version === 3 ? [{ type: 'http' }, { type: 'queue', queue: 'emails' }] : [{ type: 'http' }],
    limits: version === 1 ? { ...LIMITS, timeoutMs: 3000 } : LIMITS,
    ...(compareTo
      ? { envChanges: { comparedTo: compareTo, added: [], removed: [], changed: ['API_URL'] } }
      : {}),
  }
}

const VERSIONS: VersionSummary[] = [3, 2, 1].map((version) => ({
  version,
  createdAt: '2026-12-07T10:00:00.000Z',
  triggers: [{ type: 'http' }],
  live: version === 3,
}))

function Picker({ versions }: { versions: VersionSummary[] }) {
  const [pair, setPair] = useState<{ from: number | undefined; to: number | undefined }>(() => ({
    from: undefined,
    to: undefined,
    ...defaultPair(versions),
  }))
  return <VersionDiff name="hello" versions={versions} from={pair.from} to={pair.to} onSelect={setPair} />
}

function renderPicker(versions = VERSIONS) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } })
  return render(
    <QueryClientProvider client={client}>
      <Picker versions={versions} />
    </QueryClientProvider>,
  )
}

describe('version diff', () => {
  beforeEach(() => {
    getVersion.mockReset()
    getVersion.mockImplementation(async (_name: string, version: number, compareTo?: number) =>
      detail(version, compareTo),
    )
  })

  it('compares the live version with the one before it at first', () => {
    expect(defaultPair(VERSIONS)).toEqual({ from: 2, to: 3 })
    // After a rollback to v1, what the rollback undid: v3 → v1.
    expect(defaultPair(VERSIONS.map((v) => ({ ...v, live: v.version === 1 })))).toEqual({ from: 3, to: 1 })
    expect(defaultPair(VERSIONS.slice(0, 1))).toEqual({ to: 3 })
    expect(defaultPair([])).toEqual({})
  })

  it('loads the two chosen versions and shows their code side by side, with what else changed', async () => {
    const user = userEvent.setup()
    const { container } = renderPicker()
    expect(screen.getByRole('combobox', { name: 'From version' })).toHaveProperty('value', '2')
    expect(screen.getByRole('combobox', { name: 'To version' })).toHaveProperty('value', '3')
    await screen.findByTestId('version-diff')
    expect(getVersion).toHaveBeenCalledWith('hello', 2, undefined, expect.anything())
    expect(getVersion).toHaveBeenCalledWith('hello', 3, 2, expect.anything())
    const sides = container.querySelectorAll('.cm-mergeView .cm-content')
    expect([...sides].map((side) => side.getAttribute('aria-label'))).toEqual([
      'Code of version 2',
      'Code of version 3',
    ])
    expect(sides[1]!.textContent).toContain("ctx.log.info('three')")
    expect(screen.getByText('queue emails').closest('li')?.textContent).toBe('trigger added queue emails')
    expect(screen.getByText('API_URL').closest('li')?.textContent).toBe('env changed API_URL')

    await user.selectOptions(screen.getByRole('combobox', { name: 'From version' }), 'v1')
    await waitFor(() => expect(getVersion).toHaveBeenCalledWith('hello', 3, 1, expect.anything()))
    expect(getVersion).toHaveBeenCalledWith('hello', 1, undefined, expect.anything())
    await screen.findByText('Timeout (ms): 3000 → 10000', { exact: false })
    await waitFor(() =>
      expect(container.querySelector('.cm-mergeView .cm-content')?.getAttribute('aria-label')).toBe(
        'Code of version 1',
      ),
    )

    await user.click(screen.getByRole('button', { name: 'Swap' }))
    expect(screen.getByRole('combobox', { name: 'From version' })).toHaveProperty('value', '3')
    expect(screen.getByRole('combobox', { name: 'To version' })).toHaveProperty('value', '1')
    await waitFor(() => expect(getVersion).toHaveBeenCalledWith('hello', 1, 3, expect.anything()))
  })

  it('asks for two different versions', async () => {
    const user = userEvent.setup()
    renderPicker()
    await user.selectOptions(screen.getByRole('combobox', { name: 'From version' }), 'v3 (live)')
    expect(screen.getByText('Choose two different versions.')).toBeTruthy()
    expect(screen.queryByTestId('version-diff')).toBeNull()
  })

  it('says so when there is only one version', () => {
    renderPicker(VERSIONS.slice(0, 1))
    expect(screen.getByText('Deploy a second version to compare two.')).toBeTruthy()
    expect(getVersion).not.toHaveBeenCalled()
  })

  it("shows the server's error when a version cannot be read", async () => {
    const { ApiError } = await import('../../api/http.ts')
    getVersion.mockRejectedValue(new ApiError(403, 'auth/forbidden', 'Not allowed'))
    renderPicker()
    expect((await screen.findByRole('alert')).textContent).toContain('auth/forbidden')
  })
})
