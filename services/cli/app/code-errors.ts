import { escapeRegExp } from '../../core/regexp.ts'
import { ApiError } from './api.ts'
import { AppCliError } from './errors.ts'
import { formatPosition, originalPosition } from './source-map.ts'
import type { FunctionBundles } from './wire.ts'

/** What the server adds to a refused function's code error (see the deployments service). */
interface CodeErrorDetails {
  function?: unknown
  line?: unknown
  column?: unknown
}

/**
 * The server's `functions/invalid-code` refusal, which places the error in the bundled module, as
 * `source:line:col: message` in the function's own source file (the bundle's source map, kept by the
 * CLI, says where); a pulled bundle is its own source. Without a position (or none the map knows) the
 * server's message is printed unchanged after the source file's name. Any other error is answered as
 * it is.
 */
export function atSource(error: unknown, bundles: FunctionBundles): unknown {
  if (!(error instanceof ApiError) || error.code !== 'functions/invalid-code') return error
  const details = (error.details ?? {}) as CodeErrorDetails
  const name = typeof details.function === 'string' ? details.function : undefined
  const bundle = name === undefined ? undefined : bundles.get(name)
  if (name === undefined || !bundle) return error
  const { line, column } = details
  const at =
    typeof line === 'number' && typeof column === 'number'
      ? bundle.map
        ? originalPosition(bundle.map, line, column)
        : { file: bundle.source, line, column }
      : undefined
  if (!at) return new AppCliError(`${bundle.source}: ${error.serverMessage}`)
  // The function's name and the bundle's position lead and end the server's message: both said here.
  const said = error.serverMessage
    .replace(new RegExp(`^functions\\.${escapeRegExp(name)}: `), '')
    .replace(/ \[[^\]]*?:\d+:\d+\]$/, '')
  return new AppCliError(`${formatPosition(at)}: ${said} (function ${name})`)
}

/** Runs `call` (a request carrying `bundles`' code), its code errors pointed at the source. */
export async function pointingAtSource<T>(bundles: FunctionBundles, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    throw atSource(error, bundles)
  }
}
