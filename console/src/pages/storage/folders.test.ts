import { describe, expect, it } from 'vitest'
import type { StoredObject } from '../../api/storage.ts'
import { baseName, breadcrumbs, folderView, normalizePrefix, uploadKey } from './folders.ts'

const object = (key: string): StoredObject => ({
  bucket: 'b',
  key,
  size: 1,
  contentType: 'text/plain',
  etag: 'e',
  metadata: {},
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
})

describe('folderView', () => {
  const keys = ['readme.txt', 'images/cat.png', 'images/2024/dog.png', 'images/2024/owl.png', 'docs/a.json']

  it('derives the top-level folders and files from keys', () => {
    const view = folderView('', keys.map(object))
    expect(view.folders).toEqual(['docs/', 'images/'])
    expect(view.files.map((file) => file.key)).toEqual(['readme.txt'])
  })

  it('shows one level under a prefix, each sub-folder once', () => {
    const view = folderView('images/', keys.map(object))
    expect(view.folders).toEqual(['images/2024/'])
    expect(view.files.map((file) => file.key)).toEqual(['images/cat.png'])
    expect(folderView('images/2024/', keys.map(object)).files.map((file) => file.key)).toEqual([
      'images/2024/dog.png',
      'images/2024/owl.png',
    ])
  })

  it('merges the prefixes the server grouped with folders derived from keys', () => {
    const view = folderView('', [object('a.txt'), object('z/1.txt')], ['m/', 'z/'])
    expect(view.folders).toEqual(['m/', 'z/'])
    expect(view.files.map((file) => file.key)).toEqual(['a.txt'])
  })

  it('ignores keys outside the prefix and a prefix equal to itself', () => {
    const view = folderView('docs/', [object('images/x.png'), object('docs/a.json')], ['docs/', 'docs/old/'])
    expect(view.folders).toEqual(['docs/old/'])
    expect(view.files.map((file) => file.key)).toEqual(['docs/a.json'])
  })

  it('treats an empty segment (a//b) as a folder named by nothing, not a file', () => {
    expect(folderView('a/', [object('a//b')]).folders).toEqual(['a//'])
  })
})

describe('breadcrumbs and names', () => {
  it('lists each level of a prefix with the prefix that opens it', () => {
    expect(breadcrumbs('')).toEqual([])
    expect(breadcrumbs('images/2024/')).toEqual([
      { label: 'images', prefix: 'images/' },
      { label: '2024', prefix: 'images/2024/' },
    ])
  })

  it('names the last segment of folders and keys', () => {
    expect(baseName('images/2024/')).toBe('2024')
    expect(baseName('images/2024/dog.png')).toBe('dog.png')
    expect(baseName('top.txt')).toBe('top.txt')
  })

  it('normalizes a typed folder name', () => {
    expect(normalizePrefix(' photos ')).toBe('photos/')
    expect(normalizePrefix('/a//b/')).toBe('a/b/')
    expect(normalizePrefix('../x/./y')).toBe('x/y/')
    expect(normalizePrefix('  / ')).toBe('')
  })

  it('keys an upload under the open folder, keeping a dropped folder’s relative path', () => {
    expect(uploadKey('', 'cat.png')).toBe('cat.png')
    expect(uploadKey('images/', 'cat.png')).toBe('images/cat.png')
    expect(uploadKey('images/', 'cat.png', 'pets/cat.png')).toBe('images/pets/cat.png')
  })
})
