import { MASK, type Manifest } from './manifest.ts'

/** A manifest as it is kept: function env values and provider client secrets masked. */
export function maskManifest(manifest: Manifest): Manifest {
  const masked: Manifest = structuredClone(manifest)
  for (const f of Object.values(masked.functions ?? {})) {
    if (f.env) f.env = Object.fromEntries(Object.keys(f.env).map((key) => [key, MASK]))
  }
  for (const p of Object.values(masked.auth?.providers ?? {})) p.clientSecret = MASK
  return masked
}
