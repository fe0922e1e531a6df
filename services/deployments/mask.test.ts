import { describe, expect, it } from 'vitest'
import { canonicalHash, canonicalJson } from './canonical.ts'
import type { Manifest } from './manifest.ts'
import { maskManifest } from './mask.ts'

describe('maskManifest', () => {
  it('masks env values and client secrets, keeping names, code and everything else', () => {
    const manifest: Manifest = {
      functions: { f: { code: 'export default 1', triggers: [], env: { A: 'secret', B: '' } } },
      auth: { providers: { gh: { preset: 'github', clientId: 'id', clientSecret: 'shh' } } },
      queues: { q: {} },
    }
    expect(maskManifest(manifest)).toEqual({
      functions: { f: { code: 'export default 1', triggers: [], env: { A: '••••', B: '••••' } } },
      auth: { providers: { gh: { preset: 'github', clientId: 'id', clientSecret: '••••' } } },
      queues: { q: {} },
    })
    expect(manifest.functions!.f!.env).toEqual({ A: 'secret', B: '' })
  })
})

describe('canonicalJson', () => {
  it('sorts keys at every depth, keeps array order, drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: undefined } })).toBe('{"a":{"d":[2,1]},"b":1}')
    expect(canonicalHash({ x: 1, y: 2 })).toBe(canonicalHash({ y: 2, x: 1 }))
    expect(canonicalHash([1, 2])).not.toBe(canonicalHash([2, 1]))
  })
})
