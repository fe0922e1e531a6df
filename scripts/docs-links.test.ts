import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

// The README and docs/ stand alone: every link points at a file of this repository (never above its
// root, never to another site), and every #anchor at a heading that exists.
const root = path.resolve(import.meta.dirname, '..')
const pages = ['README.md', ...readdirSync(path.join(root, 'docs')).map((f) => `docs/${f}`)].filter((f) =>
  f.endsWith('.md'),
)

/** GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const ids = new Set<string>()
  const text = markdown.replace(/^```[\s\S]*?^```/gm, '')
  for (const [, heading] of text.matchAll(/^#{1,6} (.+)$/gm)) {
    const base = heading!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/ /g, '-')
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    ids.add(n ? `${base}-${n}` : base)
  }
  return ids
}

function links(markdown: string): string[] {
  const text = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '')
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!)
}

describe('README and docs links', () => {
  it.each(pages)('%s links only inside the repository, to files and headings that exist', (page) => {
    const source = readFileSync(path.join(root, page), 'utf8')
    const broken: string[] = []
    for (const link of links(source)) {
      if (/^[a-z]+:/i.test(link)) {
        broken.push(`${link} (outside the repository)`)
        continue
      }
      const [file, anchor] = link.split('#') as [string, string | undefined]
      const target = file ? path.resolve(path.dirname(path.join(root, page)), file) : path.join(root, page)
      if (!target.startsWith(root + path.sep)) broken.push(`${link} (above the repository root)`)
      else if (!existsSync(target)) broken.push(`${link} (no such file)`)
      else if (anchor && statSync(target).isFile() && !anchors(readFileSync(target, 'utf8')).has(anchor)) {
        broken.push(`${link} (no such heading)`)
      }
    }
    expect(broken).toEqual([])
  })

  it('finds broken links (the checker itself)', () => {
    expect(links('[a](../shared/API.md) `[b](x.md)` [c](https://x.example) [d](#two-words)')).toEqual([
      '../shared/API.md',
      'https://x.example',
      '#two-words',
    ])
    expect(anchors('# Two words\n## Auth (`/auth/v1`)\n## Two words\n')).toEqual(
      new Set(['two-words', 'auth-authv1', 'two-words-1']),
    )
  })
})
