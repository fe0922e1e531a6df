import type { Change } from '../../deployments/manifest.ts'

const MARK: Record<Change['action'], string> = { create: '+', update: '~', rename: '>', delete: '-' }

/** A plan as a table, one step a line, data loss marked; and a one-line summary. */
export function renderPlan(changes: Change[]): string {
  if (changes.length === 0) return 'No changes: the server matches stratus.yaml.\n'
  const kindWidth = Math.max(...changes.map((c) => c.kind.length))
  const nameWidth = Math.max(...changes.map((c) => c.name.length))
  const lines = changes.map((c) => {
    const notes = [
      c.from !== undefined ? `from ${c.from}` : '',
      c.fields?.length ? c.fields.join(', ') : '',
    ].filter(Boolean)
    return `  ${MARK[c.action]} ${c.action.padEnd(6)}  ${c.kind.padEnd(kindWidth)}  ${c.name.padEnd(nameWidth)}${
      notes.length ? `  (${notes.join('; ')})` : ''
    }${c.dataLoss ? '  !! DATA LOSS' : ''}`
  })
  const counts = (['create', 'update', 'rename', 'delete'] as const)
    .map((action) => [action, changes.filter((c) => c.action === action).length] as const)
    .filter(([, n]) => n > 0)
    .map(([action, n]) => `${n} to ${action}`)
  const losing = changes.filter((c) => c.dataLoss).length
  return `${lines.join('\n')}\n${counts.join(', ')}${losing ? `; ${losing} step${losing > 1 ? 's' : ''} lose${losing > 1 ? '' : 's'} data` : ''}.\n`
}
