import { defineConfig } from 'vitest/config'

// Two projects: `unit` (the `*.test.ts` beside the code: pure logic, no database) runs on its own as
// `npm run test:unit`; `integration` (test/, through HTTP on both lanes) needs the migrated template
// that the global setup builds. `vitest run` runs both.
export default defineConfig({
  test: {
    exclude: ['**/node_modules/**', 'test/bench/**', 'sdk/**', 'console/**'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['services/**/*.test.ts', 'functions-runtime/**/*.test.ts', 'scripts/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
})
