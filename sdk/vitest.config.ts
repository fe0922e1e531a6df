import { defineConfig } from 'vitest/config'

// The SDK's own unit tests; the root vitest config leaves sdk/ out.
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['src/**/*.test.ts'],
    environment: 'node',
    testTimeout: 10_000,
  },
})
