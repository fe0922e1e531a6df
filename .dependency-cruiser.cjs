// The dependency rules of DESIGN.md ("dependencies point one way"), checked by `npm run lint:deps`.
// Paths are relative to the repository root; a rule names what must never happen.

/** The composition root and the command line: the only server files that may see everything. */
const ENTRY_POINTS = '^services/(platform|cli)[.]ts$'

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-stands-alone',
      comment:
        'services/core (config, errors, events, logger) is what everything else builds on: if it imported ' +
        'one of our modules, that module could no longer import core without a cycle through the layers.',
      severity: 'error',
      from: { path: '^services/core/' },
      to: { path: '^(services|functions-runtime|sdk|console|test|bin|prisma)/', pathNot: '^services/core/' },
    },
    {
      name: 'db-drivers-import-only-core',
      comment:
        'The SQL drivers and the migration runner sit under every service: they may use core and their own ' +
        'contract (services/db/database.ts), never a service, the outbox or the bus.',
      severity: 'error',
      from: { path: '^services/db/' },
      to: { path: '^(services|functions-runtime|sdk|console)/', pathNot: '^services/(core|db)/' },
    },
    {
      name: 'bus-drivers-import-only-their-contract',
      comment:
        'A bus driver implements the contract in services/bus/bus.ts or jobs.ts and receives only its own ' +
        'options, so it may use core, its contract and its own folder, nothing else of ours.',
      severity: 'error',
      from: { path: '^services/bus/(local|redis)/' },
      to: {
        path: '^(services|functions-runtime|sdk|console)/',
        pathNot: ['^services/core/', '^services/bus/(bus|jobs)[.]ts$', '^services/bus/$1/'],
      },
    },
    {
      name: 'storage-drivers-import-only-their-contract',
      comment:
        'A storage driver implements services/storage/storage-driver.ts and maps its client errors to ours; ' +
        'it must not reach into the storage service (records, access, routes) that sits on top of it.',
      severity: 'error',
      from: { path: '^services/storage/(local|s3)/' },
      to: {
        path: '^(services|functions-runtime|sdk|console)/',
        pathNot: ['^services/core/', '^services/storage/storage-driver[.]ts$', '^services/storage/$1/'],
      },
    },
    {
      name: 'only-the-root-imports-the-gateway',
      comment:
        'The gateway builds the fastify app out of the services; a service that imported it would point ' +
        'the dependency arrow backwards (and tie the domain to one HTTP setup). Shared HTTP helpers for ' +
        'routes live in services/http/.',
      severity: 'error',
      from: { path: '^services/', pathNot: [ENTRY_POINTS, '^services/gateway/'] },
      to: { path: '^services/gateway/' },
    },
    {
      name: 'only-the-root-imports-the-runtime',
      comment:
        'functions-runtime sits beside the services and uses their public APIs; a service importing it ' +
        'would make a cycle between the two layers. What both need (types, ports) lives in the service or core.',
      severity: 'error',
      from: { path: '^services/', pathNot: ENTRY_POINTS },
      to: { path: '^functions-runtime/' },
    },
    {
      name: 'no-fastify-outside-routes',
      comment:
        'A service (its service.ts and other non-route files) knows nothing of HTTP, so it can be called ' +
        'from the runtime, the CLI and tests alike; only routes/, the gateway, services/http and the ' +
        'composition root speak fastify.',
      severity: 'error',
      from: {
        path: '^services/',
        pathNot: [ENTRY_POINTS, '^services/gateway/', '^services/http/', '^services/[^/]+/routes/'],
      },
      to: { path: '(^|/)node_modules/(fastify|fastify-plugin|@fastify/[^/]+)/' },
    },
    {
      name: 'routes-do-not-touch-the-database',
      comment:
        'Routes translate HTTP to service calls; SQL and transactions (with their outbox rows) belong to ' +
        'the service, or a write could skip its event.',
      severity: 'error',
      from: { path: '^services/[^/]+/routes/' },
      to: { path: '^services/(db|outbox)/' },
    },
    {
      name: 'sdk-imports-no-server-code',
      comment:
        "The SDK ships to browsers and to users' servers: it talks to Stratus over HTTP/WS only, so it " +
        'must not pull in server modules (or their dependencies) from elsewhere in the repository.',
      severity: 'error',
      from: { path: '^sdk/' },
      to: { path: '^(services|functions-runtime|console|test|bin|prisma)/' },
    },
    {
      name: 'console-imports-no-server-code',
      comment:
        'The console is a static web app served at /console/; it reaches the server over HTTP (through ' +
        'the SDK), never by importing server modules. Exempt: the pure subject-glob modules, which the ' +
        'trigger form shares with the deploy check so the two can never disagree.',
      severity: 'error',
      from: { path: '^console/' },
      to: {
        path: '^(services|functions-runtime|test|bin|prisma)/',
        pathNot: '^services/core/(glob|subject-shape)\\.ts$',
      },
    },
    {
      name: 'console-shared-modules-stay-pure',
      comment:
        'The server modules the console imports are bundled into it: they may import nothing but each other.',
      severity: 'error',
      from: { path: '^services/core/(glob|subject-shape)\\.ts$' },
      to: { pathNot: '^services/core/(glob|subject-shape)\\.ts$' },
    },
    {
      name: 'imports-resolve',
      comment:
        'An import the checker cannot resolve escapes every rule above (the root tsconfig does not ' +
        'cover sdk/ and console/). Exempt: the SDK example imports the built package, the browser ' +
        'fixture imports a bundle the test writes beside it, and the CLI entry imports the compiled ' +
        'server in dist/ only when it was built (the sources it compiles from are checked here).',
      severity: 'error',
      from: { pathNot: ['^sdk/examples/', '^test/browser/fixtures/'] },
      to: { couldNotResolve: true, pathNot: ['^\\.\\./dist/', '^dist/'] },
    },
    {
      name: 'no-circular',
      comment:
        'A cycle makes load order matter and the layers above meaningless; split the shared part out ' +
        'into a module both sides can import.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(sdk|console)/dist/' },
    // Type-only imports are dependencies too: a service typed against the gateway is still coupled to it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.d.ts'],
    },
  },
}
