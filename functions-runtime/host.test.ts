import { describe, expect, it } from 'vitest'
import { resolveCtxPath } from './host.ts'

describe('resolveCtxPath', () => {
  it('keeps ordinary paths as they are', () => {
    for (const path of [
      '/db/v1/collections/posts/documents/p1',
      '/db/v1/batch',
      '/storage/v1/object/files/dir/h%C3%A9llo.txt',
      '/storage/v1/object/files/%252e%252e',
      '/queue/v1/emails/messages',
    ]) {
      expect(resolveCtxPath(path)).toBe(path)
    }
  })

  it('resolves every spelling of a dot segment before it checks the prefix', () => {
    const up = ['..', '.%2e', '%2e.', '%2E%2E', '%2e%2E', '..\\', '.%2E']
    for (const u of up) {
      const path = `/db/v1/${u}/${u}/admin/v1/functions`
      expect(() => resolveCtxPath(path), path).toThrow(/may only call/)
    }
    // Dot segments that stay inside an allowed prefix are resolved, not passed on.
    expect(resolveCtxPath('/db/v1/collections/.%2e/batch')).toBe('/db/v1/batch')
  })

  it('refuses segments that decode to a dot segment or a separator, and anything outside the prefixes', () => {
    for (const path of [
      '/db/v1/collections/..%2f..%2fadmin/documents/x',
      '/db/v1/collections/%2e%2e%5c%2e%2e%5cadmin/documents/x',
      '/storage/v1/object/files/a%2Fb',
      '/admin/v1/functions',
      '/auth/v1/user',
      '/functions/v1/other',
      '//evil.example/db/v1/x',
      '/db/v1/x?y=1',
      '/db/v1/x#y',
      'db/v1/x',
      '/db/v1/%E0%A4%A',
      42,
    ]) {
      expect(() => resolveCtxPath(path), String(path)).toThrow(/may only call/)
    }
  })
})
