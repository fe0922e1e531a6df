import { deflateSync } from 'node:zlib'
import type { JSHandle, Page } from 'playwright-core'

// Files for console specs: a real PNG made here (so previews have something to draw), and drops of
// files onto the page built with the page's own DataTransfer, as a drag from the desktop would be.

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([length, body, crc])
}

/** A `width`×`height` RGB PNG: diagonal stripes in two colours, easy to see in a screenshot. */
export function stripedPng(width = 160, height = 96): Buffer {
  const rows: Buffer[] = []
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3)
    for (let x = 0; x < width; x++) {
      const on = Math.floor((x + y) / 12) % 2 === 0
      row.set(on ? [37, 99, 235] : [250, 204, 21], 1 + x * 3)
    }
    rows.push(row)
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header.set([8, 2, 0, 0, 0], 8) // 8-bit RGB, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

export interface PageFile {
  name: string
  type: string
  bytes: Buffer
}

/** What the page function below sees of the browser (the root tsconfig has no DOM types). */
type BrowserGlobals = typeof globalThis & {
  DataTransfer: new () => { items: { add(file: unknown): unknown } }
  File: new (parts: unknown[], name: string, options: { type: string }) => unknown
}

/** A DataTransfer in the page holding `files`. */
export function dataTransferOf(page: Page, files: readonly PageFile[]): Promise<JSHandle> {
  return page.evaluateHandle(
    (list) => {
      const browser = globalThis as BrowserGlobals
      const transfer = new browser.DataTransfer()
      for (const file of list) {
        const bytes = Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0))
        transfer.items.add(new browser.File([bytes], file.name, { type: file.type }))
      }
      return transfer
    },
    files.map((file) => ({ name: file.name, type: file.type, base64: file.bytes.toString('base64') })),
  )
}

/** Drops `files` on the element found by `selector`: dragenter, dragover, drop, as a real drag does. */
export async function dropFiles(page: Page, selector: string, files: readonly PageFile[]): Promise<void> {
  const dataTransfer = await dataTransferOf(page, files)
  const target = page.locator(selector)
  for (const type of ['dragenter', 'dragover', 'drop']) await target.dispatchEvent(type, { dataTransfer })
  await dataTransfer.dispose()
}
