import { readFileSync } from 'node:fs'
import path from 'node:path'

export const HAPROXY_TEMPLATE = path.resolve(import.meta.dirname, '../../infra/haproxy/haproxy.cfg')

export interface HaproxyPorts {
  /** The front (HTTP and WebSocket). */
  front: number
  /** The stats page. */
  stats: number
  /** The api nodes, in order (named api1, api2, …). */
  servers: Array<{ host: string; port: number }>
  /** The address the front and stats bind (default 127.0.0.1: the cluster is for this machine). */
  bindHost?: string
}

/**
 * infra/haproxy/haproxy.cfg with the cluster's ports: the `bind` lines of the two frontends and the
 * `server` lines of the back end are replaced, every other line is kept, so the cluster runs the
 * configuration that is shipped.
 */
export function renderHaproxyConfig(template: string, ports: HaproxyPorts): string {
  const bindHost = ports.bindHost ?? '127.0.0.1'
  let section = ''
  let serversWritten = false
  const out: string[] = []
  for (const line of template.split('\n')) {
    const header = /^(frontend|backend|defaults|global|listen)\s*(\S*)/.exec(line)
    if (header) section = `${header[1]} ${header[2]}`.trim()
    const trimmed = line.trim()
    if (trimmed.startsWith('bind ') && section.startsWith('frontend ')) {
      const port = section === 'frontend stats' ? ports.stats : ports.front
      out.push(`  bind ${bindHost}:${port}`)
      continue
    }
    if (trimmed.startsWith('server ') && section.startsWith('backend ')) {
      if (!serversWritten) {
        for (const [index, server] of ports.servers.entries())
          out.push(`  server api${index + 1} ${server.host}:${server.port} check`)
        serversWritten = true
      }
      continue
    }
    out.push(line)
  }
  if (!serversWritten) throw new Error('the HAProxy template has no `server` line to replace')
  return out.join('\n')
}

export function readHaproxyTemplate(): string {
  return readFileSync(HAPROXY_TEMPLATE, 'utf8')
}
