import { defineConfig } from 'vitest/config'

// The console's component tests (Testing Library in jsdom); end-to-end specs in a real browser live in
// test/console/ at the root, against a running server.
export default defineConfig({
  root: import.meta.dirname,
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  test: {
    include: ['src/**/*.test.{ts,tsx}'],
    environment: 'jsdom',
    setupFiles: ['src/test-setup.ts'],
    testTimeout: 10_000,
  },
})
