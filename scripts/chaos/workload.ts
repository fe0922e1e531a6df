/**
 * The chaos workload, all through the SDK against the load balancer: users sign up and write notes
 * (and now and then update one), one uploads files, and realtime listeners, one per shard of the
 * notes, record the sequence of every change frame they receive. Writes are paced low on purpose:
 * the point is faults under a steady load, not throughput.
 */
import { createClient, type StratusClient } from '@stratus/sdk'
import { BUCKET, NOTES } from './functions.ts'
import type { ErrorRecord } from './invariants.ts'
import { retrying, sleep } from './retry.ts'

export interface WorkloadOptions {
  url: string
  /** Distinguishes this run's users, notes and uploads from any earlier run's on the same data. */
  runId: string
  users: number
  shards: number
  /** Pause between one user's writes (ms). */
  writeEveryMs: number
  uploadEveryMs: number
  log: (line: string) => void
}

/** What one listener received. */
export interface ListenerLog {
  shard: number
  name: string
  /** Change frames' sequences, in arrival order. */
  seen: number[]
  /** Reconnections after the first subscription that resumed with `since`. */
  resumes: number
  /** How many times the subscription went live from scratch after its first time (no replay). */
  freshResumes: number
  failed: string | null
}

export interface WorkloadLog {
  errors: ErrorRecord[]
  /** Notes the SDK saw written (PostgreSQL decides what was committed; this is for progress). */
  writes: number
  uploads: number
  listeners: ListenerLog[]
}

const PASSWORD = 'chaos-password-1'

/** Signs a user up; if a lost answer hid a sign-up that happened, signs in instead. */
async function signedUp(url: string, email: string, errors: ErrorRecord[]): Promise<StratusClient> {
  const client = createClient(url, { persistSession: false })
  await retrying(
    `sign up ${email}`,
    async () => {
      try {
        await client.auth.signUp({ email, password: PASSWORD })
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'auth/email-taken') throw error
        await client.auth.signInWithPassword({ email, password: PASSWORD })
      }
    },
    { errors },
  )
  return client
}

export class Workload {
  readonly log: WorkloadLog = { errors: [], writes: 0, uploads: 0, listeners: [] }
  readonly #options: WorkloadOptions
  readonly #clients: StratusClient[] = []
  readonly #stop = new AbortController()
  readonly #loops: Promise<void>[] = []

  constructor(options: WorkloadOptions) {
    this.#options = options
  }

  /** Signs the users up and opens the listeners; resolves once every listener is live. */
  async prepare(): Promise<void> {
    const { url, runId, users, shards } = this.#options
    for (let i = 0; i < users + shards; i++) {
      this.#clients.push(await signedUp(url, `chaos-${runId}-${i}@example.test`, this.log.errors))
    }
    const live: Promise<void>[] = []
    for (let shard = 0; shard < shards; shard++) {
      const client = this.#clients[users + shard] as StratusClient
      const entry: ListenerLog = {
        shard,
        name: `shard-${shard}`,
        seen: [],
        resumes: 0,
        freshResumes: 0,
        failed: null,
      }
      this.log.listeners.push(entry)
      live.push(
        new Promise<void>((resolve, reject) => {
          let first = true
          client.realtime.subscribe(
            { collection: NOTES, where: [['shard', '==', shard]] },
            {
              live: (fresh) => {
                if (first) {
                  first = false
                  resolve()
                } else if (fresh) entry.freshResumes += 1
                else entry.resumes += 1
              },
              change: (frame) => entry.seen.push(frame.sequence),
              failed: (error) => {
                entry.failed = `${error.code}: ${error.message}`
                reject(error)
              },
            },
          )
        }),
      )
    }
    await Promise.all(live)
  }

  /** Starts the writers and the uploader; they run until `stop()`. */
  start(): void {
    const { users } = this.#options
    for (let user = 0; user < users; user++) this.#loops.push(this.#writer(user))
    this.#loops.push(this.#uploader())
  }

  /** Stops writing and waits for the calls under way; listeners stay open until `close()`. */
  async stop(): Promise<void> {
    this.#stop.abort()
    await Promise.all(this.#loops)
  }

  close(): void {
    for (const client of this.#clients) client.close()
  }

  async #writer(user: number): Promise<void> {
    const { runId, shards, writeEveryMs } = this.#options
    const client = this.#clients[user] as StratusClient
    const notes = client.db.collection(NOTES)
    let k = 0
    await sleep(Math.random() * writeEveryMs)
    while (!this.#stop.signal.aborted) {
      const id = `n-${runId}-${user}-${k}`
      const shard = (user + k) % shards
      try {
        // PUT is create-or-replace: a retry after a lost answer updates instead of failing.
        await retrying(`write ${id}`, () => notes.doc(id).set({ shard, owner: user, n: k }), this.#retry())
        this.log.writes += 1
        if (k % 4 === 3) {
          const previous = `n-${runId}-${user}-${k - 2}`
          await retrying(
            `update ${previous}`,
            () => notes.doc(previous).update({ touched: k }),
            this.#retry(),
          )
        }
      } catch (error) {
        this.#options.log(`writer ${user}: gave up on ${id}: ${String(error)}`)
      }
      k += 1
      await sleep(writeEveryMs)
    }
  }

  async #uploader(): Promise<void> {
    const { runId, uploadEveryMs } = this.#options
    const bucket = (this.#clients[0] as StratusClient).storage.from(BUCKET)
    let k = 0
    while (!this.#stop.signal.aborted) {
      const key = `u-${runId}-${k}`
      try {
        await retrying(
          `upload ${key}`,
          () => bucket.upload(key, `chaos upload ${k}`, { contentType: 'text/plain' }),
          this.#retry(),
        )
        this.log.uploads += 1
      } catch (error) {
        this.#options.log(`uploader: gave up on ${key}: ${String(error)}`)
      }
      k += 1
      await sleep(uploadEveryMs)
    }
  }

  #retry() {
    return { errors: this.log.errors, deadlineMs: 120_000 }
  }
}
