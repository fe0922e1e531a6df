// Stratus SDK quickstart: sign up, write, listen, upload and invoke a function.
//
//   node sdk/examples/quickstart.mjs http://127.0.0.1:8080 <serviceKey>
//
// The service key (`npx stratus keys`) is used only for the admin set-up: a collection with rules, a
// bucket and a function. Everything after it runs as an ordinary signed-in user, as an app would. On
// Node 20 the listener's WebSocket comes from the `ws` package (Node 22 and browsers have their own).
import { createClient, StratusError } from '@stratus/sdk'

const [url = 'http://127.0.0.1:8080', serviceKey] = process.argv.slice(2)
if (!serviceKey) {
  console.error('usage: node sdk/examples/quickstart.mjs <api url> <service key>')
  process.exit(2)
}

const COLLECTION = 'quickstart-notes'
const BUCKET = 'quickstart-files'
const FUNCTION = 'quickstart-hello'

async function setUp() {
  // A trusted server may use the service key as a fixed token: it bypasses rules and may call /admin/v1.
  const admin = createClient(url, { accessToken: serviceKey })
  await admin.http.put(`/admin/v1/collections/${COLLECTION}`, {
    rules: {
      read: 'auth != null && doc.owner == auth.uid',
      create: 'auth != null && request.data.owner == auth.uid',
      update: 'auth != null && doc.owner == auth.uid',
      delete: 'auth != null && doc.owner == auth.uid',
    },
  })
  await admin.http.put(`/admin/v1/buckets/${BUCKET}`, {
    rules: {
      read: 'auth != null && object.key.startsWith(auth.uid + "/")',
      write: 'auth != null && object.key.startsWith(auth.uid + "/")',
      delete: 'auth != null && object.key.startsWith(auth.uid + "/")',
    },
  })
  const { version } = await admin.http.put(`/admin/v1/functions/${FUNCTION}`, {
    code: `export default async (event) => ({
      greeting: 'Hello, ' + (event.data.body && event.data.body.name || 'stranger') + '!',
      uid: event.data.auth ? event.data.auth.uid : null,
    })`,
    triggers: [{ type: 'http', public: true }],
  })
  console.log(`set up: collection ${COLLECTION}, bucket ${BUCKET}, function ${FUNCTION} v${version}`)
  admin.close()
}

/** Follows a query, printing each snapshot; `until(test)` waits for a snapshot that passes `test`. */
function follow(query) {
  const snapshots = []
  let check = () => {}
  const stop = query.onSnapshot(
    (snapshot) => {
      const changes = snapshot.changes.map((c) => `${c.type} "${c.doc.data.text}"`).join(', ')
      console.log(`snapshot: ${snapshot.docs.length} note(s) (${changes})`)
      snapshots.push(snapshot)
      check()
    },
    (error) => console.error(`listener failed: ${error.code}: ${error.message}`),
  )
  const until = (test) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no matching snapshot within 10 s')), 10_000)
      check = () => {
        const hit = snapshots.find(test)
        if (hit) {
          clearTimeout(timer)
          resolve(hit)
        }
      }
      check()
    })
  return { stop, until }
}

async function main() {
  await setUp()

  // In Node the session lives in memory; in a browser it persists in localStorage and is refreshed
  // before it expires.
  const app = createClient(url)
  const { user } = await app.auth.signUp({
    email: `quickstart-${Date.now()}@example.com`,
    password: 'correct horse battery staple',
  })
  console.log(`signed up: ${user.email} (${user.id})`)

  const notes = app.db.collection(COLLECTION)
  const first = await notes.add({ owner: user.id, text: 'Buy milk' })
  console.log(`wrote: ${first.id} version ${first.version}`)

  const live = follow(notes.where('owner', '==', user.id))
  await live.until((s) => s.docs.length === 1)
  const second = await notes.add({ owner: user.id, text: 'Call Ada' })
  await live.until((s) => s.docs.some((d) => d.id === second.id))
  console.log(`listener saw ${second.id} arrive`)
  live.stop()

  const key = `${user.id}/hello.txt`
  const files = app.storage.from(BUCKET)
  const stored = await files.upload(key, 'Hello from the quickstart', { contentType: 'text/plain' })
  const downloaded = await files.download(key)
  console.log(`uploaded: ${stored.key} (${stored.size} bytes); downloaded: "${downloaded.text()}"`)

  try {
    await app.storage.from(BUCKET).download('someone-else/secret.txt')
  } catch (error) {
    if (!(error instanceof StratusError)) throw error
    console.log(`someone else's object: ${error.code} (${error.status})`)
  }

  const answer = await app.functions.invoke(FUNCTION, { name: 'quickstart' })
  console.log(`invoked ${FUNCTION}: ${JSON.stringify(answer)}`)

  await app.auth.signOut()
  console.log('signed out')
  app.close()
}

main().catch((error) => {
  console.error(error instanceof StratusError ? `${error.code} (${error.status}): ${error.message}` : error)
  process.exitCode = 1
})
