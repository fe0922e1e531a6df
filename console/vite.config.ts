import { defineConfig } from 'vite'

// The gateway serves the built console at /console/. In `npm run dev -w console`, API calls go to a
// local Stratus (STRATUS_URL, default http://127.0.0.1:8080) through Vite's proxy, so the page keeps
// fetching from its own origin as it does in production.
const api = process.env.STRATUS_URL ?? 'http://127.0.0.1:8080'

export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  // Vite 8 compiles TSX with Oxc; no React plugin is needed for a production build.
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    // The code editor's chunk (CodeMirror with its languages, lint and merge view, ~510 kB, ~170 kB
    // gzipped) loads only with a page that edits code; the entry stays near 85 kB gzipped.
    chunkSizeWarningLimit: 600,
    rolldownOptions: {
      // TanStack's modules open with "use client" (for React Server Components, which the console does
      // not use): dropping it is right here, and the warning per module drowns real ones.
      onLog(level, log, handler) {
        if (log.code === 'MODULE_LEVEL_DIRECTIVE' || log.code === 'PLUGIN_TIMINGS') return
        handler(level, log)
      },
    },
  },
  server: {
    proxy: {
      ...Object.fromEntries(
        ['/health', '/ready', '/metrics', '/auth', '/db', '/storage', '/functions', '/queue', '/admin'].map(
          (path) => [path, api],
        ),
      ),
      '/realtime': { target: api, ws: true },
    },
  },
})
