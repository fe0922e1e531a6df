import type { RuleSource } from '../../api/data.ts'

/** A rule at a glance: `true` is open, `false` (or absent) closed, anything else an expression. */
export function ruleSummary(rule: RuleSource | undefined): {
  kind: 'open' | 'closed' | 'expression'
  label: string
  title: string
} {
  if (rule === true || rule === 'true')
    return { kind: 'open', label: 'anyone', title: 'true: allowed to everyone' }
  if (rule === undefined || rule === false || rule === 'false') {
    return { kind: 'closed', label: 'no one', title: 'false: only the service key and admins' }
  }
  return { kind: 'expression', label: 'rule', title: String(rule) }
}

/** Rules to start a collection from. */
export const RULE_PRESETS = {
  locked: {
    label: 'Locked: only the service key and admins',
    rules: { read: false, create: false, update: false, delete: false },
  },
  owner: {
    label: 'Owner only: signed-in users keep their own documents (field owner)',
    rules: {
      read: 'auth != null && doc.owner == auth.uid',
      create: 'auth != null && request.data.owner == auth.uid',
      update: 'auth != null && doc.owner == auth.uid && request.data.owner == auth.uid',
      delete: 'auth != null && doc.owner == auth.uid',
    },
  },
  signedIn: {
    label: 'Signed-in users read and write',
    rules: { read: 'auth != null', create: 'auth != null', update: 'auth != null', delete: 'auth != null' },
  },
  publicRead: {
    label: 'Public read, no writes',
    rules: { read: true, create: false, update: false, delete: false },
  },
} as const

export type RulePreset = keyof typeof RULE_PRESETS
