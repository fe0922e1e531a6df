import path from 'node:path'
import { build, type Message } from 'esbuild'
import { AppCliError } from './errors.ts'

function describe(message: Message): string {
  const at = message.location
  return at ? `${at.file}:${at.line}:${at.column + 1}: ${message.text}` : message.text
}

/** A function's module as a deploy sends it, and (when the CLI bundled it) its source map. */
export interface Bundle {
  code: string
  /**
   * The source map (JSON) of `code`, its sources relative to the project directory. Kept by the CLI
   * to point the server's errors at the source: the server has no use for it, so it is never sent.
   */
  map?: string
}

/**
 * Bundles one function's source (TypeScript or JavaScript) into the single ES module a deploy sends:
 * npm imports are inlined, since the sandbox loads no modules; Node's built-ins are not available there,
 * so importing one is a compile error here rather than a failed deploy. Errors are reported as
 * `file:line:col: message`, relative to the project directory.
 */
export async function bundleFunction(projectDir: string, source: string): Promise<Bundle> {
  const absDir = path.resolve(projectDir)
  try {
    const result = await build({
      entryPoints: [path.resolve(absDir, source)],
      absWorkingDir: absDir,
      // Never written (write: false): it places the map's sources relative to the project directory.
      outfile: path.join(absDir, 'stratus-bundle.js'),
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      // Platform "neutral" reads only `exports`; most npm packages still publish through these fields.
      mainFields: ['module', 'main'],
      conditions: ['import', 'default'],
      write: false,
      // "external" adds no sourceMappingURL comment: the code sent is the same as without a map.
      sourcemap: 'external',
      sourcesContent: false,
      logLevel: 'silent',
      legalComments: 'none',
      charset: 'utf8',
    })
    const output = result.outputFiles.find((f) => f.path.endsWith('.js'))
    if (!output) throw new AppCliError(`${source}: esbuild produced no output`)
    const map = result.outputFiles.find((f) => f.path.endsWith('.js.map'))
    return { code: output.text, ...(map ? { map: map.text } : {}) }
  } catch (error) {
    const failure = error as { errors?: Message[] }
    if (Array.isArray(failure.errors) && failure.errors.length)
      throw new AppCliError(failure.errors.map(describe).join('\n'))
    throw error
  }
}
