import { describe, expect, it } from 'vitest'
import {
  shapeCanMatch as subjectCanMatch,
  suggestPatternForShape as suggestSubject,
} from '../../../../services/core/subject-shape.ts'
import { FALLBACK_EVENT_TYPES } from '../../api/functions.ts'
import { checkDraft, draftFromVersion, ENV_MASK, hasProblems, newDraft, toDeployInput } from './draft.ts'

const VERSION = {
  version: 2,
  createdAt: '2026-12-07T10:00:00.000Z',
  timeoutMs: 5000,
  memoryMb: 64,
  concurrency: 4,
  retries: 0,
  triggers: [{ type: 'queue' as const, queue: 'emails' }],
  env: { API_URL: 'https://example.com', API_KEY: ENV_MASK },
}

describe('function drafts', () => {
  it('starts a new function with example code and an HTTP trigger, ready to deploy', () => {
    const draft = newDraft()
    expect(draft.code).toContain('export default async (event, ctx) =>')
    expect(checkDraft(draft, FALLBACK_EVENT_TYPES, 'hello')).toEqual({ triggers: {}, env: {}, limits: {} })
    expect(toDeployInput(draft)).toMatchObject({
      triggers: [{ type: 'http', public: false }],
      env: {},
      timeoutMs: 10_000,
      memoryMb: 128,
      concurrency: 10,
      retries: 2,
    })
  })

  it('names what is wrong: the name, a masked value not entered again, a duplicate, a limit', () => {
    const draft = draftFromVersion('export default async () => 1', VERSION)
    expect(draft.env.map((row) => [row.name, row.value, row.hidden])).toEqual([
      ['API_URL', 'https://example.com', false],
      ['API_KEY', '', true],
    ])
    draft.env.push({ key: 'x', name: 'API_URL', value: 'again', hidden: false })
    draft.limits.timeoutMs = '5'
    const problems = checkDraft(draft, FALLBACK_EVENT_TYPES, 'bad name')
    expect(problems.name).toMatch(/letters, digits, hyphens or underscores/)
    expect(problems.env).toEqual({
      1: 'The server does not show the value of API_KEY: enter it again, or remove the variable.',
      2: 'API_URL is set twice.',
    })
    expect(problems.limits).toEqual({ timeoutMs: 'A whole number from 10 to 900,000.' })
    expect(hasProblems(problems)).toBe(true)
  })

  it('sends what the server expects: trimmed fields, empty optional ones left out', () => {
    const draft = draftFromVersion('export default async () => 1', { ...VERSION, env: {} })
    draft.triggers.push(
      { key: 'a', trigger: { type: 'event', event: ' db.document.created ', subject: ' ' } },
      { key: 'b', trigger: { type: 'schedule', cron: ' 0 * * * * ', timezone: '' } },
    )
    expect(toDeployInput(draft)).toEqual({
      code: 'export default async () => 1',
      env: {},
      timeoutMs: 5000,
      memoryMb: 64,
      concurrency: 4,
      retries: 0,
      triggers: [
        { type: 'queue', queue: 'emails' },
        { type: 'event', event: 'db.document.created' },
        { type: 'schedule', cron: '0 * * * *' },
      ],
    })
  })

  it('checks subject globs against subject shapes as the server does', () => {
    const doc = 'collections/{collection}/documents/{id}'
    const object = 'buckets/{bucket}/objects/{key...}'
    expect(subjectCanMatch(doc, 'collections/posts/documents/*')).toBe(true)
    expect(subjectCanMatch(doc, 'collections/**')).toBe(true)
    expect(subjectCanMatch(doc, 'collections/posts/*')).toBe(false)
    expect(subjectCanMatch(object, 'buckets/avatars/objects/users/*/photo.png')).toBe(true)
    expect(subjectCanMatch(object, 'buckets/avatars/*')).toBe(false)
    expect(suggestSubject(doc, 'collections/posts/*')).toBe('collections/posts/documents/*')
    expect(suggestSubject('users/{uid}', 'user/*')).toBe('users/*')
    expect(suggestSubject(object, 'buckets/avatars/*')).toBe('buckets/avatars/objects/**')
  })
})
