/**
 * The script each isolate runs before the function's module. It takes the three host capabilities the
 * instance planted as globals (a Reference to the host's `call`, a log Callback, the fetch flag), hides
 * them in a closure, deletes the globals, and defines what functions see: `console`, `setTimeout`,
 * optionally `fetch`, and the `ctx` built per invocation (SDK-shaped `db`, `storage`, `queue` clients
 * that reach the platform only through the host's `call`). Its completion value is `{configure,
 * setHandler, invoke, start, settled, wait}`, which the host keeps as References.
 *
 * Everything here runs inside the isolate: it is plain JavaScript, and nothing in it is trusted by the
 * host (the host validates every call and treats every result as untrusted input).
 */
export const BOOTSTRAP_SOURCE = `
(function () {
  'use strict'
  const host = globalThis.__stratus_host
  const logSink = globalThis.__stratus_log
  const finishSink = globalThis.__stratus_finish
  const fetchEnabled = globalThis.__stratus_fetch === true
  delete globalThis.__stratus_host
  delete globalThis.__stratus_log
  delete globalThis.__stratus_finish
  delete globalThis.__stratus_fetch
  const stringify = JSON.stringify
  const parse = JSON.parse
  const PromiseCtor = Promise

  // Messages queued for the host (log lines, host calls): an inline run's result must not overtake them.
  let sent = 0

  function call(op, payload, bytes) {
    sent++
    return host
      .apply(undefined, [op, stringify(payload), bytes], {
        arguments: { copy: true },
        result: { promise: true, copy: true },
      })
      .then(function (out) {
        const answer = parse(out[0])
        if (answer && answer.error) throw toError(answer.error)
        return { value: answer ? answer.value : undefined, bytes: out[1] }
      })
  }

  class StratusError extends Error {
    constructor(code, message, status, details) {
      super(message)
      this.name = 'StratusError'
      this.code = code
      this.status = status
      this.details = details
    }
  }
  function toError(e) {
    return new StratusError(String(e.code || 'internal'), String(e.message || 'failed'), e.status, e.details)
  }

  function format(args) {
    let out = ''
    for (let i = 0; i < args.length; i++) {
      const a = args[i]
      let s
      if (typeof a === 'string') s = a
      else if (a instanceof Error) s = a.stack || String(a)
      else {
        try {
          s = stringify(a)
          if (s === undefined) s = String(a)
        } catch (_) {
          s = String(a)
        }
      }
      out += (i ? ' ' : '') + s
    }
    return out
  }
  function log(level, args) {
    sent++
    logSink(level, format(args))
  }
  const logger = Object.freeze({
    info: function () { log('info', arguments) },
    warn: function () { log('warn', arguments) },
    error: function () { log('error', arguments) },
    debug: function () { log('debug', arguments) },
  })
  globalThis.console = Object.freeze({
    log: logger.info, info: logger.info, debug: logger.debug, warn: logger.warn, error: logger.error,
  })

  // Minimal UTF-8, since a bare isolate has no TextEncoder/TextDecoder.
  function utf8Decode(bytes) {
    let out = ''
    for (let i = 0; i < bytes.length; ) {
      let c = bytes[i++]
      if (c >= 0xf0) c = ((c & 7) << 18) | ((bytes[i++] & 63) << 12) | ((bytes[i++] & 63) << 6) | (bytes[i++] & 63)
      else if (c >= 0xe0) c = ((c & 15) << 12) | ((bytes[i++] & 63) << 6) | (bytes[i++] & 63)
      else if (c >= 0xc0) c = ((c & 31) << 6) | (bytes[i++] & 63)
      out += String.fromCodePoint(c)
    }
    return out
  }
  function toBytes(body) {
    if (body === undefined || body === null) return undefined
    if (body instanceof Uint8Array) return body
    if (body instanceof ArrayBuffer) return new Uint8Array(body)
    if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
    return undefined
  }

  let timerIds = 0
  const cancelled = new Set()
  globalThis.setTimeout = function (fn, ms) {
    const id = ++timerIds
    const args = Array.prototype.slice.call(arguments, 2)
    call('sleep', { ms: Number(ms) || 0 }).then(function () {
      if (cancelled.delete(id)) return
      if (typeof fn === 'function') fn.apply(undefined, args)
    }, function () {})
    return id
  }
  globalThis.clearTimeout = function (id) {
    if (id) cancelled.add(id)
  }

  function request(method, path, options) {
    const o = options || {}
    const bytes = toBytes(o.body)
    return call('request', {
      method: method,
      path: path,
      query: o.query,
      headers: o.headers,
      json: bytes === undefined ? o.json : undefined,
      text: bytes === undefined && typeof o.body === 'string' ? o.body : undefined,
      raw: !!o.raw,
    }, bytes).then(function (r) {
      return o.raw ? { info: r.value, bytes: r.bytes } : r.value
    })
  }
  function seg(s) {
    return encodeURIComponent(String(s))
  }
  function keyPath(key) {
    return String(key).split('/').map(encodeURIComponent).join('/')
  }

  class DocumentReference {
    constructor(collection, id) {
      this.collection = collection
      this.id = id
      this.path = '/db/v1/collections/' + seg(collection) + '/documents/' + seg(id)
    }
    get() {
      return request('GET', this.path).catch(function (e) {
        if (e && e.code === 'db/not-found') return null
        throw e
      })
    }
    set(data, options) {
      return request('PUT', this.path, { json: { data: data }, headers: ifMatch(options) })
    }
    update(data, options) {
      return request('PATCH', this.path, { json: { data: data }, headers: ifMatch(options) })
    }
    delete(options) {
      return request('DELETE', this.path, { headers: ifMatch(options) }).then(function () {})
    }
  }
  function ifMatch(options) {
    return options && options.ifVersion !== undefined ? { 'if-match': String(options.ifVersion) } : undefined
  }

  class Query {
    constructor(collection, state) {
      this.collection = collection
      this.state = state || { where: [], orderBy: [], limit: undefined, cursor: undefined }
    }
    with(change) {
      const s = this.state
      return new Query(this.collection, {
        where: change.where || s.where,
        orderBy: change.orderBy || s.orderBy,
        limit: 'limit' in change ? change.limit : s.limit,
        cursor: 'cursor' in change ? change.cursor : s.cursor,
      })
    }
    where(field, op, value) {
      return this.with({ where: this.state.where.concat([[field, op, value]]) })
    }
    orderBy(field, direction) {
      return this.with({ orderBy: this.state.orderBy.concat([[field, direction || 'asc']]) })
    }
    limit(n) {
      return this.with({ limit: n })
    }
    startAfter(cursor) {
      return this.with({ cursor: cursor })
    }
    get() {
      const s = this.state
      const query = {}
      if (s.where.length) query.where = stringify(s.where)
      if (s.orderBy.length) query.orderBy = stringify(s.orderBy)
      if (s.limit !== undefined) query.limit = String(s.limit)
      if (s.cursor) query.cursor = s.cursor
      return request('GET', '/db/v1/collections/' + seg(this.collection) + '/documents', { query: query }).then(
        function (r) {
          return { docs: r.documents, nextCursor: r.nextCursor === undefined ? null : r.nextCursor }
        },
      )
    }
  }
  class CollectionReference extends Query {
    constructor(name) {
      super(name)
    }
    doc(id) {
      return new DocumentReference(this.collection, id)
    }
    add(data, options) {
      const body = { data: data }
      if (options && options.id !== undefined) body.id = options.id
      return request('POST', '/db/v1/collections/' + seg(this.collection) + '/documents', { json: body })
    }
  }

  // The SDK's WriteBatch: writes committed all together (POST /db/v1/batch), or none of them.
  class WriteBatch {
    constructor() {
      this.writes = []
      this.committed = false
    }
    create(ref, data) {
      return addWrite(this, { op: 'create', collection: ref.collection, id: ref.id, data: data })
    }
    set(ref, data, options) {
      return addWrite(this, withVersion({ op: 'set', collection: ref.collection, id: ref.id, data: data }, options))
    }
    update(ref, data, options) {
      return addWrite(this, withVersion({ op: 'update', collection: ref.collection, id: ref.id, data: data }, options))
    }
    delete(ref, options) {
      return addWrite(this, withVersion({ op: 'delete', collection: ref.collection, id: ref.id }, options))
    }
    commit() {
      if (this.committed) return PromiseCtor.reject(new TypeError('Stratus: this batch was already committed'))
      this.committed = true
      return request('POST', '/db/v1/batch', { json: { writes: this.writes } }).then(function (r) { return r.results })
    }
  }
  function addWrite(batch, write) {
    if (batch.committed) throw new TypeError('Stratus: this batch was already committed')
    batch.writes.push(write)
    return batch
  }
  function withVersion(write, options) {
    if (options && options.ifVersion !== undefined) write.ifVersion = options.ifVersion
    return write
  }

  class Bucket {
    constructor(name) {
      this.name = name
    }
    upload(key, body, options) {
      const o = options || {}
      const headers = {}
      if (o.contentType) headers['content-type'] = o.contentType
      else if (typeof body === 'string') headers['content-type'] = 'text/plain; charset=utf-8'
      else headers['content-type'] = 'application/octet-stream'
      const meta = o.metadata || {}
      for (const k in meta) headers['x-stratus-meta-' + k] = String(meta[k])
      return request('PUT', '/storage/v1/object/' + seg(this.name) + '/' + keyPath(key), {
        body: typeof body === 'string' ? body : toBytes(body),
        headers: headers,
      })
    }
    download(key) {
      return request('GET', '/storage/v1/object/' + seg(this.name) + '/' + keyPath(key), { raw: true }).then(
        function (r) {
          const data = new Uint8Array(r.bytes || new ArrayBuffer(0))
          return {
            data: data,
            size: data.length,
            contentType: r.info && r.info.contentType,
            text: function () { return utf8Decode(data) },
            json: function () { return parse(utf8Decode(data)) },
          }
        },
      )
    }
    remove(key) {
      return request('DELETE', '/storage/v1/object/' + seg(this.name) + '/' + keyPath(key)).then(function () {})
    }
    list(options) {
      const o = options || {}
      const query = {}
      if (o.prefix !== undefined) query.prefix = o.prefix
      if (o.limit !== undefined) query.limit = String(o.limit)
      if (o.cursor) query.cursor = o.cursor
      return request('GET', '/storage/v1/list/' + seg(this.name), { query: query })
    }
    createSignedUrl(key, expiresIn) {
      return request('POST', '/storage/v1/sign/' + seg(this.name) + '/' + keyPath(key), {
        json: { expiresIn: expiresIn },
      }).then(function (r) { return r.url })
    }
  }

  const db = Object.freeze({
    collection: function (name) { return new CollectionReference(name) },
    batch: function () { return new WriteBatch() },
  })
  const storage = Object.freeze({ from: function (bucket) { return new Bucket(bucket) } })
  const queue = Object.freeze({
    publish: function (name, payload, options) {
      const o = options || {}
      const body = { payload: payload === undefined ? null : payload }
      if (o.delayMs !== undefined) body.delayMs = o.delayMs
      if (o.dedupId !== undefined) body.dedupId = o.dedupId
      return request('POST', '/queue/v1/' + seg(name) + '/messages', { json: body })
    },
  })

  if (fetchEnabled) {
    globalThis.fetch = function (input, init) {
      const o = init || {}
      const bytes = toBytes(o.body)
      return call('fetch', {
        url: String(input),
        method: o.method || 'GET',
        headers: o.headers || {},
        text: bytes === undefined && o.body !== undefined && o.body !== null ? String(o.body) : undefined,
      }, bytes).then(function (r) {
        const info = r.value
        const data = new Uint8Array(r.bytes || new ArrayBuffer(0))
        const headers = info.headers || {}
        return {
          ok: info.status >= 200 && info.status < 300,
          status: info.status,
          statusText: info.statusText,
          url: info.url,
          headers: { get: function (name) { const v = headers[String(name).toLowerCase()]; return v === undefined ? null : v } },
          text: function () { return PromiseCtor.resolve(utf8Decode(data)) },
          json: function () { return PromiseCtor.resolve(parse(utf8Decode(data))) },
          arrayBuffer: function () { return PromiseCtor.resolve(data.buffer) },
        }
      })
    }
  }

  let handler
  let inline
  // What every invocation in this isolate shares (set once by configure): it runs one version.
  let fixed = { functionName: undefined, version: undefined, env: Object.freeze({}) }
  async function invoke(eventJson, executionId, deadline) {
    const ctx = Object.freeze({
      functionName: fixed.functionName,
      version: fixed.version,
      executionId: executionId,
      deadline: deadline,
      env: fixed.env,
      log: logger,
      db: db,
      storage: storage,
      queue: queue,
    })
    try {
      const result = await handler(parse(eventJson), ctx)
      if (result === undefined) return '{"ok":true}'
      let json
      try {
        json = stringify(result)
      } catch (e) {
        throw new TypeError('The function returned a value that is not JSON-serialisable: ' + (e && e.message))
      }
      return '{"ok":true,"result":' + (json === undefined ? 'null' : json) + '}'
    } catch (e) {
      let message, stack, name
      try {
        message = e instanceof Error ? String(e.message) : format([e])
        stack = e instanceof Error && e.stack ? String(e.stack) : undefined
        name = e instanceof Error ? String(e.name) : 'Error'
      } catch (_) {
        message = 'unknown error'
      }
      return stringify({ ok: false, error: { name: name, message: message, stack: stack } })
    }
  }
  return {
    configure: function (functionName, versionNumber, envJson) {
      fixed = Object.freeze({
        functionName: functionName,
        version: versionNumber,
        env: Object.freeze(parse(envJson) || {}),
      })
    },
    setHandler: function (fn) {
      if (typeof fn !== 'function') {
        throw new TypeError('The module must export a default function: export default async (event, ctx) => result')
      }
      handler = fn
    },
    invoke: invoke,
    // Inline runs (on the host's own thread, see instance.ts): start begins an invocation, then the
    // host asks settled. A run that settled having queued nothing for the host hands its result to
    // settled; one that queued log lines or host calls sends it through finishSink, queued behind them;
    // one that has not settled is awaited through wait.
    start: function (seq, eventJson, executionId, deadline) {
      const before = sent
      const run = { seq: seq, done: false, out: undefined, promise: invoke(eventJson, executionId, deadline) }
      inline = run
      run.promise.then(function (out) {
        run.done = true
        if (sent === before) run.out = out
        else finishSink(seq, out)
      })
    },
    // The result (a string) of a quiet settled run, true for one whose result follows through
    // finishSink, false for one not settled.
    settled: function (seq) {
      if (inline === undefined || inline.seq !== seq || !inline.done) return false
      const out = inline.out
      inline.out = undefined
      return out === undefined ? true : out
    },
    wait: function (seq) {
      if (inline === undefined || inline.seq !== seq) throw new Error('no such invocation')
      return inline.promise
    },
  }
})()
`
