import { describe, expect, it } from 'vitest'
import { isStratusError } from '../core/errors.ts'
import { RulesEvaluator } from '../rules/rules.ts'
import { checkBucketSettings, contentTypeAllowed } from './buckets.ts'
import { blobPath, checkBucketName, checkObjectKey, MAX_KEY_BYTES } from './names.ts'

const refused = (fn: () => void) => {
  try {
    fn()
  } catch (error) {
    return isStratusError(error, 'request/invalid')
  }
  return false
}

describe('object keys', () => {
  it('returns the NFC form, so visually identical keys are one key', () => {
    expect(checkObjectKey('cafe\u0301/x')).toBe('caf\u00e9/x')
    expect(checkObjectKey('caf\u00e9/x')).toBe('caf\u00e9/x')
  })

  it.each([['a'], ['a/b/c.txt'], ['.hidden/x'], ['ünï cödé/€.txt'], ['q?x=1&y#z'], ['a'.repeat(255)]])(
    'accepts %j',
    (key) => {
      expect(() => checkObjectKey(key)).not.toThrow()
    },
  )

  it.each([
    [''],
    ['..'],
    ['../x'],
    ['a/../b'],
    ['a/./b'],
    ['/a'],
    ['a/'],
    ['a//b'],
    ['a\\b'],
    ['a\u0000b'],
    ['a\u007fb'],
    ['a'.repeat(256)],
    ['a/'.repeat(MAX_KEY_BYTES)],
  ])('refuses %j with request/invalid', (key) => {
    expect(refused(() => checkObjectKey(key))).toBe(true)
  })

  it('names bucket names and blob paths', () => {
    expect(refused(() => checkBucketName('photos_2-x'))).toBe(false)
    for (const bad of ['', '.tmp', 'a/b', 'a.b', 'x'.repeat(64)])
      expect(refused(() => checkBucketName(bad))).toBe(true)
    expect(blobPath('b', 'k/x', 'v1')).toBe('b/k/x/v1')
  })
})

describe('bucket settings', () => {
  const rules = new RulesEvaluator()

  it('matches content types by media type, type/* and */*', () => {
    expect(contentTypeAllowed([], 'anything/at-all')).toBe(true)
    expect(contentTypeAllowed(['image/*'], 'image/png')).toBe(true)
    expect(contentTypeAllowed(['image/*'], 'IMAGE/PNG; q=1')).toBe(true)
    expect(contentTypeAllowed(['image/png'], 'image/jpeg')).toBe(false)
    expect(contentTypeAllowed(['*/*'], 'text/plain')).toBe(true)
    expect(contentTypeAllowed(['image/*'], 'imagex/png')).toBe(false)
  })

  it('normalises and checks settings', () => {
    expect(
      checkBucketSettings(
        { allowedContentTypes: [' Image/PNG ', 'image/png', 'text/*'], rules: { read: 'true' } },
        rules,
      ),
    ).toEqual({
      public: false,
      rules: { read: 'true' },
      maxFileSize: null,
      allowedContentTypes: ['image/png', 'text/*'],
    })
    for (const type of ['*/png', 'image', 'image/', 'a b/c']) {
      expect(refused(() => checkBucketSettings({ allowedContentTypes: [type] }, rules))).toBe(true)
    }
    expect(refused(() => checkBucketSettings({ rules: { write: 'object.size <' } }, rules))).toBe(true)
  })
})
