/**
 * The files `stratus init` writes (besides stratus-types.ts, which it generates from the stratus.yaml
 * below). The init test type-checks the result with tsc, so hello.ts cannot drift from the generator.
 */
export const TEMPLATE_FILES: Record<string, (name: string) => string> = {
  'stratus.yaml': () => `# yaml-language-server: $schema=./stratus.schema.json
# The whole project: deploy it with \`npx stratus deploy\`, see what would change with \`npx stratus plan\`.
collections:
  messages:
    rules: { read: "auth != null", create: "auth != null", update: false, delete: false }
    schema:
      type: object
      required: [text, from]
      properties:
        text: { type: string, maxLength: 500 }
        from: { type: string }
        mood: { enum: [happy, neutral, grumpy] }

functions:
  hello:
    source: functions/hello.ts
    triggers:
      - { type: http, public: true }
    env:
      GREETING: Hello
    timeoutMs: 3000
`,
  'functions/hello.ts': () => `import type { Handlers } from '../stratus-types'

/** POST {"name": "Ada"} to /functions/v1/hello: greets, and keeps the greeting in \`messages\`. */
const hello: Handlers['hello'] = async (event, ctx) => {
  const body = event.data.body as { name?: unknown } | null
  const name = typeof body?.name === 'string' ? body.name : 'world'
  const text = \`\${ctx.env.GREETING ?? 'Hello'}, \${name}!\`
  // Typed by the collection's schema in stratus.yaml: a missing \`from\` fails \`npm run typecheck\`.
  await ctx.db.collection('messages').add({ text, from: 'hello', mood: 'happy' })
  return { greeting: text }
}

export default hello
`,
  'package.json': (name) =>
    `${JSON.stringify(
      {
        name,
        private: true,
        type: 'module',
        scripts: {
          plan: 'stratus plan',
          deploy: 'stratus deploy',
          dev: 'stratus dev',
          types: 'stratus types',
          typecheck: 'tsc --noEmit',
        },
        devDependencies: { typescript: '^5.9.0' },
      },
      null,
      2,
    )}\n`,
  'tsconfig.json': () =>
    `${JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2022',
          module: 'ESNext',
          moduleResolution: 'Bundler',
          lib: ['ES2022'],
          types: [],
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          isolatedModules: true,
        },
        include: ['functions', 'stratus-types.ts'],
      },
      null,
      2,
    )}\n`,
  '.gitignore': () => 'node_modules\n',
  'README.md': (name) => `# ${name}

A Stratus project: everything it needs on the server (collections, functions, …) is declared in
\`stratus.yaml\`, and the functions' TypeScript sources live in \`functions/\`.

| command | what it does |
| --- | --- |
| \`npx stratus plan\` | what a deploy would create, change and delete (steps that lose data are marked) |
| \`npx stratus deploy\` | applies the file to the server, all or nothing |
| \`npx stratus dev\` | redeploys on every save and prints the functions' executions and logs |
| \`npx stratus types\` | regenerates \`stratus-types.ts\` after you change \`stratus.yaml\` |
| \`npx stratus diff --exit-code\` | fails when the server no longer matches the file (for CI) |
| \`npx stratus pull\` | writes what the server has into the file |

The CLI talks to \`http://127.0.0.1:8080\` unless given \`--url\`, with the key in \`STRATUS_SERVICE_KEY\`
(or \`--key\`); against a local server it finds the service key by itself.

Try it: \`npx stratus deploy\`, then
\`curl -X POST localhost:8080/functions/v1/hello -H 'content-type: application/json' -d '{"name":"Ada"}'\`.
`,
}
